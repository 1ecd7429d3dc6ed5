import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionResult } from 'graphql';
import { operationKey, SharedExecution, viewerAuthorisationKey } from '../../src/graphql/shared-execution';
import { Scope } from '../../src/modules/auth/scopes';
import { Viewer } from '../../src/modules/auth/viewer';
import { UserRole } from '../../src/modules/user/user-role';
import type { User } from '../../src/modules/user/user.entity';

interface ViewerSpec {
  tenantId?: string;
  userId?: string;
  bot?: boolean;
  role?: UserRole;
  scopes?: Scope[];
  inboxes?: string[] | null;
  tokenId?: string;
}

function viewer(spec: ViewerSpec = {}): Viewer {
  const user = { id: spec.userId ?? 'usr_1', tenantId: spec.tenantId ?? 'tn_1', bot: spec.bot ?? false, role: spec.role ?? UserRole.AGENT };
  const inboxes = spec.inboxes === undefined ? ['inb_a', 'inb_b'] : spec.inboxes;
  return new Viewer(
    user as User,
    new Set(spec.scopes ?? [Scope.CONVERSATION_READ, Scope.MESSAGE_CREATE]),
    inboxes ? new Set(inboxes) : null,
    spec.tokenId ?? 'tok_1',
  );
}

/** An execute() that records each call and returns a distinct result per call. */
function executor() {
  const calls: string[] = [];
  return {
    calls,
    run: (tag: string) => (): ExecutionResult => {
      calls.push(tag);
      return { data: { tag, call: calls.length } };
    },
  };
}

const OP = operationKey('subscription { messageAdded { cursor } }', null, {});

describe('SharedExecution', () => {
  test('subscribers with the same operation, event and authorisation get one execution and the same result', async () => {
    const memo = new SharedExecution();
    const ex = executor();
    // Different Viewer objects and tokens, scopes and inboxes in another order: the same authorisation.
    const a = viewer();
    const b = viewer({ scopes: [Scope.MESSAGE_CREATE, Scope.CONVERSATION_READ], inboxes: ['inb_b', 'inb_a'], tokenId: 'tok_2' });
    const [ra, rb, ra2] = await Promise.all([
      memo.run(OP, a, 7, 'evt_7', ex.run('a')),
      memo.run(OP, b, 7, 'evt_7', ex.run('b')),
      memo.run(OP, a, 7, 'evt_7', ex.run('a2')),
    ]);
    assert.deepEqual(ex.calls, ['a']);
    assert.equal(rb, ra);
    assert.equal(ra2, ra);
    assert.deepEqual([memo.executions, memo.reused], [1, 2]);
  });

  test('any difference in authorisation executes separately', async () => {
    const base: ViewerSpec = {};
    const variants: [string, ViewerSpec][] = [
      ['tenant', { tenantId: 'tn_2' }],
      ['user', { userId: 'usr_2' }],
      ['bot flag', { bot: true }],
      ['role', { role: UserRole.ADMIN }],
      ['scopes', { scopes: [Scope.CONVERSATION_READ] }],
      ['inboxes', { inboxes: ['inb_a'] }],
      ['whole tenant', { role: UserRole.AGENT, inboxes: null }],
    ];
    for (const [what, spec] of variants) {
      const memo = new SharedExecution();
      const ex = executor();
      const owner = await memo.run(OP, viewer(base), 1, 'evt_1', ex.run('base'));
      const other = await memo.run(OP, viewer(spec), 1, 'evt_1', ex.run(what));
      assert.deepEqual(ex.calls, ['base', what], what);
      assert.notEqual(other, owner, what);
      assert.notEqual(viewerAuthorisationKey(viewer(spec)), viewerAuthorisationKey(viewer(base)), what);
    }
  });

  test('a different operation, operation name or variables executes separately', async () => {
    const memo = new SharedExecution();
    const ex = executor();
    const v = viewer();
    const ops = [
      OP,
      operationKey('subscription { messageAdded { cursor causationId } }', null, {}),
      operationKey('subscription { messageAdded { cursor } }', 'Named', {}),
      operationKey('subscription { messageAdded { cursor } }', null, { inboxId: 'inb_a' }),
    ];
    assert.equal(new Set(ops).size, ops.length);
    for (const [i, op] of ops.entries()) await memo.run(op, v, 1, 'evt_1', ex.run(String(i)));
    assert.deepEqual(ex.calls, ['0', '1', '2', '3']);
  });

  test('only the newest event is kept: a newer one replaces it, an older one executes alone', async () => {
    const memo = new SharedExecution();
    const ex = executor();
    const v = viewer();
    await memo.run(OP, v, 5, 'evt_5', ex.run('5'));
    await memo.run(OP, v, 6, 'evt_6', ex.run('6'));
    await memo.run(OP, v, 5, 'evt_5', ex.run('5 again')); // a slow subscriber: executed, not shared, not kept
    await memo.run(OP, v, 6, 'evt_6', ex.run('6 again')); // still shared
    assert.deepEqual(ex.calls, ['5', '6', '5 again']);
    assert.equal(memo.size, 1);
    // Same seq but another event id (another tenant's log cannot share a key, but be strict anyway).
    await memo.run(OP, v, 6, 'evt_other', ex.run('other'));
    assert.deepEqual(ex.calls.at(-1), 'other');
  });

  test('results expire after ttlMs and the map never holds more than maxEntries', async () => {
    let now = 0;
    const memo = new SharedExecution({ ttlMs: 100, maxEntries: 2, now: () => now });
    const ex = executor();
    const v = viewer();
    await memo.run(OP, v, 1, 'evt_1', ex.run('first'));
    now = 101;
    await memo.run(OP, v, 1, 'evt_1', ex.run('expired'));
    assert.deepEqual(ex.calls, ['first', 'expired']);

    const [o1, o2, o3] = ['a', 'b', 'c'].map((q) => operationKey(`subscription { ${q} }`, null, null));
    await memo.run(o1, v, 1, 'evt_1', ex.run('o1'));
    await memo.run(o2, v, 1, 'evt_1', ex.run('o2'));
    await memo.run(o3, v, 1, 'evt_1', ex.run('o3'));
    assert.equal(memo.size, 2);
    await memo.run(o3, v, 1, 'evt_1', ex.run('o3 again'));
    await memo.run(o1, v, 1, 'evt_1', ex.run('o1 again')); // evicted as the oldest
    assert.deepEqual(ex.calls.slice(2), ['o1', 'o2', 'o3', 'o1 again']);

    now = 1_000; // everything held is expired: the next insertion drops it
    await memo.run(OP, viewer({ userId: 'usr_9' }), 2, 'evt_2', ex.run('late'));
    assert.equal(memo.size, 1);
  });

  test('an execution that throws is not kept: the next subscriber executes again', async () => {
    const memo = new SharedExecution();
    const v = viewer();
    await assert.rejects(
      memo.run(OP, v, 3, 'evt_3', () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    const ok = await memo.run(OP, v, 3, 'evt_3', () => ({ data: { ok: true } }));
    assert.deepEqual(ok, { data: { ok: true } });
    assert.equal(memo.executions, 2);
  });
});
