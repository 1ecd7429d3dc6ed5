import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AbstractSqlConnection, SqlEntityManager } from '@mikro-orm/knex';
import { loadConfig } from '../src/config';
import { initDatabase, type Database } from '../src/db/orm';
import { Tenant } from '../src/modules/tenant/tenant.entity';
import { deferred } from './helpers/delivery';

/*
 * What every connection of the SQLite pool looks like, and how the in-process write queue treats
 * transactions, savepoints, statements outside a transaction and reads.
 */

interface RawSqlite {
  prepare(sql: string): { all(): Record<string, unknown>[] };
}
interface KnexClientInternals {
  acquireConnection(): Promise<RawSqlite>;
  releaseConnection(conn: RawSqlite): Promise<void>;
  pool: { on(event: 'createSuccess' | 'destroySuccess', fn: () => void): void; removeAllListeners(event: string): void };
}

const clientOf = (db: Database) => (db.orm.em.getConnection() as AbstractSqlConnection).getKnex().client as unknown as KnexClientInternals;
const pragma = (conn: RawSqlite, name: string) => Object.values(conn.prepare(`pragma ${name}`).all()[0])[0];

describe('SQLite connections', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-sqlite-conn-'));
  const config = loadConfig({}, { databaseUrl: `file:${path.join(dir, 'test.db')}`, dataDir: dir });
  let db: Database;

  before(async () => {
    // Connections live 100 ms instead of the libsql dialect's 10 s: the same recycling, sooner.
    db = await initDatabase(config, { pool: { maxConnectionLifetimeMillis: 100 } as never });
    await db.em.fork().insert(Tenant, { id: 'tn_conn_test', name: 'Before', eventSeq: 0, createdAt: new Date() });
  });
  after(async () => {
    await db?.orm.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every connection the pool opens, recycled ones included, has the lock wait, WAL, foreign keys and synchronous=NORMAL', async () => {
    const client = clientOf(db);
    let recycled = false;
    client.pool.on('destroySuccess', () => (recycled = true));
    const deadline = Date.now() + 30_000;
    while (!recycled) {
      assert.ok(Date.now() < deadline, 'the pool never recycled a connection');
      await db.em.fork().findOne(Tenant, { id: 'tn_conn_test' });
    }
    client.pool.removeAllListeners('destroySuccess');
    // Several at once: the pool opens new connections for them.
    const conns = await Promise.all(Array.from({ length: 3 }, () => client.acquireConnection()));
    try {
      for (const conn of conns) {
        assert.deepEqual(
          {
            busyTimeout: pragma(conn, 'busy_timeout'),
            journal: pragma(conn, 'journal_mode'),
            fk: pragma(conn, 'foreign_keys'),
            sync: pragma(conn, 'synchronous'),
          },
          { busyTimeout: 5000, journal: 'wal', fk: 1, sync: 1 },
        );
      }
    } finally {
      for (const conn of conns) await client.releaseConnection(conn);
    }
  });

  test('while a write transaction is open, reads are answered and a write outside any transaction waits its turn', async () => {
    const holding = deferred();
    const inside = deferred();
    const tx = db.em.fork().transactional(async (em) => {
      await em.nativeUpdate(Tenant, { id: 'tn_conn_test' }, { name: 'Inside' });
      inside.resolve();
      await holding.promise;
    });
    await inside.promise;

    // A read on another connection sees the last committed state without waiting for the writer.
    const read = await db.em.fork().findOneOrFail(Tenant, { id: 'tn_conn_test' });
    assert.equal(read.name, 'Before');

    let outsideDone = false;
    const outside = db.em
      .fork()
      .nativeUpdate(Tenant, { id: 'tn_conn_test' }, { name: 'Outside' })
      .then((n) => {
        outsideDone = true;
        return n;
      });
    // Give the outside write every chance to run early: it must still be waiting.
    await db.em.fork().count(Tenant, {});
    assert.equal(outsideDone, false, 'the outside write waited for the open transaction');

    holding.resolve();
    await tx;
    assert.equal(await outside, 1);
    assert.equal(
      (await db.em.fork().findOneOrFail(Tenant, { id: 'tn_conn_test' })).name,
      'Outside',
      'it ran after the transaction committed',
    );
  });

  test('a nested transaction (savepoint) inside a write transaction does not wait for its parent', async () => {
    const result = await db.em.fork().transactional(async (em) => {
      await em.nativeUpdate(Tenant, { id: 'tn_conn_test' }, { name: 'Outer' });
      await em
        .transactional(async (inner) => {
          await inner.nativeUpdate(Tenant, { id: 'tn_conn_test' }, { name: 'Rolled back' });
          throw new Error('roll back the savepoint only');
        })
        .catch(() => undefined);
      return (em as SqlEntityManager).transactional(async (inner) => {
        await inner.nativeUpdate(Tenant, { id: 'tn_conn_test' }, { name: 'Inner' });
        return 'done';
      });
    });
    assert.equal(result, 'done');
    assert.equal((await db.em.fork().findOneOrFail(Tenant, { id: 'tn_conn_test' })).name, 'Inner');
  });

  test('concurrent write transactions all commit, one after the other', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.em.fork().transactional(async (em) => {
          const t = await em.findOneOrFail(Tenant, { id: 'tn_conn_test' });
          // Read, yield, write: interleaved transactions would lose increments.
          await new Promise((r) => setImmediate(r));
          t.eventSeq = Number(t.eventSeq) + 1;
        }),
      ),
    );
    assert.equal(Number((await db.em.fork().findOneOrFail(Tenant, { id: 'tn_conn_test' })).eventSeq), 20);
  });
});
