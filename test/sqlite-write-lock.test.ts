import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AbstractSqlConnection } from '@mikro-orm/knex';
import { loadConfig } from '../src/config';
import { initDatabase, type Database } from '../src/db/orm';
import { issueToken } from '../src/modules/auth/token.service';
import { ConversationStatus } from '../src/modules/conversation/conversation-status';
import { Message } from '../src/modules/message/message.entity';
import { seedDemo, type DemoWorkspace } from '../src/seed/demo';
import { createServer, type RunningServer } from '../src/server';
import { SendMessageDocument, ViewerDocument } from './generated/graphql';
import { GqlClient } from './helpers/client';
import { deferred, postSandboxWebhook, sandboxSecretFor, testDeliveryConfig } from './helpers/delivery';

/*
 * The server shares its SQLite file with other processes (`npm run token` beside it, as the README
 * suggests). A writer in another process holds the file's write lock for a few seconds; every write
 * the server receives meanwhile must wait for it and then succeed — also after the pool has replaced
 * its connections, which is when the lock-wait setting used to be lost.
 */

/** How long the other process holds the write lock. */
const HOLD_MS = 3000;

/** The pool's tarn instance: emits createSuccess / destroySuccess as connections come and go. */
interface PoolEvents {
  on(event: 'createSuccess' | 'destroySuccess', fn: (eventId: number, resource: unknown) => void): void;
  removeListener(event: string, fn: (...args: unknown[]) => void): void;
}

function poolOf(db: Database): PoolEvents {
  const knex = (db.orm.em.getConnection() as AbstractSqlConnection).getKnex();
  return (knex.client as { pool: PoolEvents }).pool;
}

/**
 * A second process that takes the write lock (BEGIN IMMEDIATE), says "locked", holds it for
 * `holdMs`, commits and says "released".
 */
function holdWriteLock(file: string, holdMs: number): { locked: Promise<void>; released: Promise<number>; child: ChildProcess } {
  const code = `
    const Database = require(${JSON.stringify(require.resolve('libsql'))});
    const db = new Database(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    process.send('locked');
    setTimeout(() => {
      db.exec('COMMIT');
      db.close();
      process.send('released', () => process.disconnect());
    }, ${holdMs});
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const locked = deferred();
  const released = deferred<number>();
  child.on('message', (m) => {
    if (m === 'locked') locked.resolve();
    if (m === 'released') released.resolve(Date.now());
  });
  const failed = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code} before releasing`))),
  );
  failed.catch(() => undefined);
  return { locked: Promise.race([locked.promise, failed]), released: Promise.race([released.promise, failed]), child };
}

describe('SQLite: writes wait for another process holding the write lock', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-sqlite-lock-'));
  const file = path.join(dir, 'test.db');
  const delivery = testDeliveryConfig({ runWorker: false });
  const config = loadConfig({}, { host: '127.0.0.1', port: 0, databaseUrl: `file:${file}`, dataDir: dir, seedDemo: false, delivery });
  let db: Database;
  let server: RunningServer;
  let demo: DemoWorkspace;
  let client: GqlClient;

  before(async () => {
    // Connections live 200 ms instead of the libsql dialect's 10 s: the same recycling, sooner.
    db = await initDatabase(config, { pool: { maxConnectionLifetimeMillis: 200 } as never });
    demo = await seedDemo(db.em.fork());
    const { token } = await issueToken(db.em.fork(), { tenantId: demo.tenant.id, userId: demo.owner.id, name: 'test' });
    server = await createServer(config, { db });
    client = new GqlClient(server.url, token);
  });
  after(async () => {
    await server?.close();
    await db?.orm.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('sends and webhooks succeed after the pool recycled its connections, while another process holds the lock for 3 s', async () => {
    // Wait until the pool has destroyed the connections it started with and opened new ones.
    const pool = poolOf(db);
    let destroyed = 0;
    let created = 0;
    const onDestroy = () => void destroyed++;
    const onCreate = () => void created++;
    pool.on('destroySuccess', onDestroy);
    pool.on('createSuccess', onCreate);
    const deadline = Date.now() + 30_000;
    while (!(destroyed > 0 && created > 0)) {
      assert.ok(Date.now() < deadline, 'the pool never recycled a connection');
      await client.data(ViewerDocument);
    }
    pool.removeListener('destroySuccess', onDestroy as never);
    pool.removeListener('createSuccess', onCreate as never);

    const holder = holdWriteLock(file, HOLD_MS);
    await holder.locked;

    const secret = await sandboxSecretFor(db, demo.sms.id, delivery);
    const sends = demo.conversations
      .filter((c) => c.status === ConversationStatus.OPEN)
      .slice(0, 5)
      .flatMap((c) =>
        [1, 2].map((i) =>
          client.request(SendMessageDocument, {
            input: { recipient: { conversation: { conversationId: c.id } }, content: { note: { body: `during the lock ${i}` } } },
          }),
        ),
      );
    const webhooks = Array.from({ length: 5 }, (_, i) =>
      postSandboxWebhook(server.origin, demo.sms.id, secret, [
        {
          id: `sbevt_locked_${i}`,
          type: 'message',
          timestamp: new Date().toISOString(),
          from: '+14155550123',
          message: { id: `sandbox.in.locked.${i}`, text: `written while locked ${i}` },
        },
      ]),
    );
    // A read is not a write: it is answered while the other process still holds the lock.
    const read = client.request(ViewerDocument).then((r) => ({ r, at: Date.now() }));

    const [sendResults, webhookResults, readResult, releasedAt] = await Promise.all([
      Promise.all(sends),
      Promise.all(webhooks),
      read,
      holder.released,
    ]);

    assert.equal(sends.length, 10);
    for (const res of sendResults) assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(
      webhookResults.map((w) => [w.status, w.body]),
      webhookResults.map(() => [200, { received: 1, duplicates: 0 }]),
    );
    const em = db.em.fork();
    const ids = sendResults.map((r) => r.data!.sendMessage.message.id);
    assert.equal(await em.count(Message, { id: { $in: ids } }), 10, 'every send is stored');
    assert.equal(
      await em.count(Message, { inboxId: demo.sms.id, channelMessageId: { $like: 'sandbox.in.locked.%' } }),
      5,
      'every webhook is stored',
    );
    assert.equal(readResult.r.errors, undefined);
    assert.ok(readResult.at < releasedAt, 'the read was answered while the lock was held');
  });
});
