import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statementKind } from '../src/db/sql-statement-kind';
import { WriteQueue } from '../src/db/write-queue';

describe('SQLite write queue', () => {
  test('writers get their turn one at a time, in arrival order', async () => {
    const queue = new WriteQueue(10_000);
    const order: string[] = [];
    const first = await queue.acquire();
    const waiting = ['b', 'c', 'd'].map((name) => queue.acquire().then((release) => (order.push(name), release)));
    assert.equal(queue.length, 4);
    first();
    first(); // a second call must not hand out a second turn
    const b = await waiting[0];
    assert.deepEqual(order, ['b'], 'c waits while b holds the turn');
    b();
    (await waiting[1])();
    (await waiting[2])();
    assert.deepEqual(order, ['b', 'c', 'd']);
    assert.equal(queue.length, 0);
  });

  test('a writer that waits too long fails with a message pointing at a nested transaction, and leaves the queue', async () => {
    const queue = new WriteQueue(20);
    const held = await queue.acquire();
    await assert.rejects(queue.acquire(), /Waited 20 ms for the SQLite write queue.*use the transaction's own EntityManager/);
    assert.equal(queue.length, 1);
    held();
    (await queue.acquire())();
  });
});

describe('statement kinds outside a transaction', () => {
  test('reads run at once, writes are queued, session statements run as they are', () => {
    const cases: Array<[string, ReturnType<typeof statementKind>]> = [
      ['select 1', 'read'],
      ['  SELECT * from message', 'read'],
      ['(select 1) union (select 2)', 'read'],
      ['-- comment\nselect 1', 'read'],
      ['/* hint */ select 1', 'read'],
      ['with t as (select 1) select * from t', 'read'],
      ['explain query plan select 1', 'read'],
      ['values (1)', 'read'],
      ['insert into tenant (id) values (?)', 'write'],
      ['update `tenant` set `name` = ?', 'write'],
      ['delete from webhook_receipt where received_at < ?', 'write'],
      ['replace into x values (1)', 'write'],
      ['with old as (select id from m) delete from m where id in (select id from old)', 'write'],
      ['create index i on t (c)', 'write'],
      ['drop table t', 'write'],
      ['alter table t add column c int', 'write'],
      ['something new', 'write'],
      ['pragma foreign_keys = on', 'session'],
      ['vacuum', 'session'],
      ['begin immediate', 'session'],
      ['savepoint trx1', 'session'],
      ['attach database ? as other', 'session'],
    ];
    for (const [sql, kind] of cases) assert.equal(statementKind(sql), kind, sql);
  });
});
