import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/db/orm';
import { LiveAuth } from '../../src/graphql/live-auth';
import { hashToken } from '../../src/modules/auth/token';
import { Viewer } from '../../src/modules/auth/viewer';
import type { User } from '../../src/modules/user/user.entity';

/** A database stand-in: LiveAuth only forks an EntityManager to hand to the authenticator. */
const db = { em: { fork: () => ({}) } } as unknown as Database;

/** An authenticator whose answers the test controls, recording the tokens it was asked about. */
function authenticator() {
  const calls: string[] = [];
  let answer: () => Promise<Viewer | null> = async () => new Viewer({ id: 'usr_1', tenantId: 'tn_1' } as User, new Set(), null, 'tok');
  return {
    calls,
    answer: (fn: () => Promise<Viewer | null>) => (answer = fn),
    fn: (_em: unknown, token: string) => {
      calls.push(token);
      return answer();
    },
  };
}

describe('LiveAuth', () => {
  test('connections with the same token re-authenticate once per event seq', async () => {
    const auth = authenticator();
    const live = new LiveAuth(db, auth.fn);
    const k1 = live.acquire('sb_one');
    const k2 = live.acquire('sb_one');
    assert.equal(k1, hashToken('sb_one'), 'keyed by the token hash');
    assert.equal(k1, k2);
    assert.equal(live.size, 1);

    const [a, b] = await Promise.all([live.viewerAt(k1, 10), live.viewerAt(k2, 10)]);
    assert.equal(a, b);
    assert.equal(await live.viewerAt(k1, 9), a, 'a viewer fetched for a later event is fresh enough for an earlier one');
    assert.deepEqual(auth.calls, ['sb_one']);
    const c = await live.viewerAt(k1, 11);
    assert.notEqual(c, a, 'a newer event re-authenticates');
    assert.deepEqual(auth.calls, ['sb_one', 'sb_one']);
    assert.equal(live.authentications, 2);
  });

  test('different tokens re-authenticate separately, and a revoked one reports null without touching the other', async () => {
    const auth = authenticator();
    const live = new LiveAuth(db, auth.fn);
    const one = live.acquire('sb_one');
    const two = live.acquire('sb_two');
    const ok = new Viewer({ id: 'usr_1', tenantId: 'tn_1' } as User, new Set(), null, 'tok');
    auth.answer(async () => (auth.calls.at(-1) === 'sb_one' ? null : ok));
    assert.equal(await live.viewerAt(one, 1), null);
    assert.equal(await live.viewerAt(two, 1), ok);
    assert.deepEqual(auth.calls, ['sb_one', 'sb_two']);
  });

  test('a failed re-authentication is not kept: the next call for the same event tries again', async () => {
    const auth = authenticator();
    const live = new LiveAuth(db, auth.fn);
    const key = live.acquire('sb_one');
    auth.answer(async () => {
      throw new Error('database unavailable');
    });
    await assert.rejects(live.viewerAt(key, 5), /database unavailable/);
    const ok = new Viewer({ id: 'usr_1', tenantId: 'tn_1' } as User, new Set(), null, 'tok');
    auth.answer(async () => ok);
    assert.equal(await live.viewerAt(key, 5), ok);
    assert.equal(auth.calls.length, 2);
  });

  test('an entry lives while a connection holds its token, then goes (bounded by open connections)', async () => {
    const auth = authenticator();
    const live = new LiveAuth(db, auth.fn);
    const key = live.acquire('sb_one');
    live.acquire('sb_one');
    await live.viewerAt(key, 1);
    live.release(key);
    assert.equal(live.size, 1, 'one connection still uses it');
    await live.viewerAt(key, 1);
    assert.equal(auth.calls.length, 1);
    live.release(key);
    assert.equal(live.size, 0);
    live.release(key); // a late second release is harmless
    assert.equal(live.size, 0);
    await assert.rejects(live.viewerAt(key, 2), /not acquired/);
    // Acquired again: starts fresh, nothing remembered from before.
    live.acquire('sb_one');
    await live.viewerAt(key, 1);
    assert.equal(auth.calls.length, 2);
  });

  test('a lost token ends every connection holding it, and only those; its events see no viewer', async () => {
    const auth = authenticator();
    const live = new LiveAuth(db, auth.fn);
    const ended: string[] = [];
    const closeA = () => ended.push('a');
    const closeB = () => ended.push('b');
    const closeC = () => ended.push('c');
    const one = live.acquire('sb_one', closeA);
    live.acquire('sb_one', closeB);
    const two = live.acquire('sb_two', closeC);
    assert.deepEqual(live.held().sort(), [one, two].sort());

    live.lost([one, hashToken('sb_not_held')]);
    assert.deepEqual(ended, ['a', 'b']);
    assert.deepEqual(live.held(), [two], 'a lost token is not checked again');
    assert.equal(await live.viewerAt(one, 99), null, 'an event in flight before the socket closed gets no viewer');
    assert.deepEqual(auth.calls, [], 'without asking the database');
    live.lost([one]);
    assert.deepEqual(ended, ['a', 'b'], 'reported twice, closed once');

    live.release(one, closeA);
    live.release(one, closeB);
    assert.equal(live.size, 1, 'the lost entry goes when its connections have closed');
  });
});
