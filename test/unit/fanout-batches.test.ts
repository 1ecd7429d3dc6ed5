import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionResult } from 'graphql';
import { operationKey, SharedExecution } from '../../src/graphql/shared-execution';
import { Scope } from '../../src/modules/auth/scopes';
import { Viewer } from '../../src/modules/auth/viewer';
import { UserRole } from '../../src/modules/user/user-role';
import type { User } from '../../src/modules/user/user.entity';
import { MemoryPubSub } from '../../src/pubsub/memory-pubsub';

/** Resolves after the current macrotask's setImmediate queue has run once more. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Pulls everything a subscription receives into `got`, until it is returned. */
function drain<T>(it: AsyncIterableIterator<T>, got: T[]): void {
  void (async () => {
    for await (const item of it) got.push(item);
  })();
}

describe('fan-out in batches: the event loop gets a turn between batches, and nobody loses or reorders an event', () => {
  test('MemoryPubSub hands a payload to at most batchSize subscribers per turn, in publish order for each', async () => {
    const pubsub = new MemoryPubSub(2);
    const subs = Array.from({ length: 5 }, () => pubsub.subscribe<string>('t'));
    const got = subs.map(() => [] as string[]);
    subs.forEach((s, i) => drain(s, got[i]));

    const first = pubsub.publish('t', 'a');
    const second = pubsub.publish('t', 'b'); // queued behind 'a', not interleaved with it
    await Promise.resolve();
    await Promise.resolve();
    // The first batch has 'a' at once; the last subscriber has nothing before the loop got a turn.
    assert.deepEqual(got[0], ['a']);
    assert.deepEqual(got[4], []);
    await Promise.all([first, second]);
    await nextTurn();
    assert.deepEqual(
      got,
      Array.from({ length: 5 }, () => ['a', 'b']),
      'each subscriber: every event once, in order',
    );
    for (const s of subs) await s.return!();
    assert.equal(pubsub.subscriberCount(), 0);
  });

  test('a subscriber that leaves before its batch is not handed the payload', async () => {
    const pubsub = new MemoryPubSub(1);
    const [a, b] = [pubsub.subscribe<string>('t'), pubsub.subscribe<string>('t')];
    const [gotA, gotB]: string[][] = [[], []];
    drain(a, gotA);
    drain(b, gotB);
    const published = pubsub.publish('t', 'x');
    await b.return!(); // before its batch, one turn later
    await published;
    await nextTurn();
    assert.deepEqual([gotA, gotB], [['x'], []]);
    await a.return!();
  });

  test('SharedExecution releases one result to its waiters in batches, one turn apart, all with the same result', async () => {
    const shared = new SharedExecution({ releaseBatch: 2 });
    const user = { id: 'usr_1', tenantId: 'tn_1', bot: false, role: UserRole.OWNER } as User;
    const viewer = new Viewer(user, new Set([Scope.CONVERSATION_READ]), null, 'tok_1');
    const op = operationKey('subscription { messageAdded { cursor } }', null, {});
    let executions = 0;
    const execute = (): ExecutionResult => ({ data: { n: ++executions } });
    const order: number[] = [];
    const waiters = Array.from({ length: 5 }, (_, i) =>
      shared.run(op, viewer, 7, 'evt_7', execute).then((r) => {
        order.push(i);
        return r;
      }),
    );
    await new Promise<void>((resolve) => process.nextTick(resolve));
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(order, [0, 1], 'the executing subscriber and one more: the first batch');
    const results = await Promise.all(waiters);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(executions, 1);
    for (const r of results) assert.equal(r, results[0], 'one result object, so one serialised frame payload');
  });
});
