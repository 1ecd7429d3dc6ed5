import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxCarrier, type SandboxSendRequest } from '../src/channels/sandbox/sandbox.carrier';
import { SandboxCallback } from '../src/channels/sandbox/sandbox-callback.entity';
import { sandboxSettings } from '../src/channels/sandbox/sandbox.settings';
import { DbSandboxStore } from '../src/channels/sandbox/sandbox.store';
import { loadConfig } from '../src/config';
import { initDatabase } from '../src/db/orm';
import { ContentKind } from '../src/modules/message/content-kind';
import { DeliveryStatus } from '../src/modules/message/delivery-status';

const request = (messageId: string): SandboxSendRequest => ({
  inboxId: 'ibx_1',
  messageId,
  to: '+48500100200',
  content: { kind: ContentKind.TEXT, body: 'Hello' },
  // Callbacks far in the future: this test is about what is recorded, not about posting.
  settings: sandboxSettings({ latencyMs: 60_000 }),
  readReceipts: true,
  callback: { url: 'http://127.0.0.1:1/webhooks/ibx_1', secret: 's' },
  signal: new AbortController().signal,
});

async function openDb(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-store-'));
  const db = await initDatabase(loadConfig({}, { databaseUrl: `file:${path.join(dir, 'test.db')}`, dataDir: dir }));
  t.after(async () => {
    await db.orm.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return db;
}

test('an acceptance survives the carrier: a fresh one on the same database answers a resend as a duplicate', async (t) => {
  const db = await openDb(t);
  const noTargets = async () => new Map();
  const first = new SandboxCarrier();
  first.attach(new DbSandboxStore(db), noTargets);
  const req = { ...request('msg_1'), settings: { ...request('msg_1').settings, latencyMs: 0 } };
  const accepted = await first.send(req);
  await first.detach();
  first.close();

  // The process "died"; its successor knows the message only from the database.
  const second = new SandboxCarrier();
  second.attach(new DbSandboxStore(db), noTargets);
  t.after(async () => {
    await second.detach();
    second.close();
  });
  const again = await second.send(req);
  assert.deepEqual(again, accepted);
  assert.deepEqual(
    second.requests.map((r) => r.outcome),
    ['duplicate'],
  );
  assert.equal(second.acceptedCount('msg_1'), 0, 'not accepted a second time');
  assert.equal(await db.em.fork().count(SandboxCallback, { messageId: 'msg_1' }), 1);
});

test('two claimers never lease the same callback, and a settled row is not claimed again until due', async (t) => {
  const db = await openDb(t);
  const a = new DbSandboxStore(db);
  const b = new DbSandboxStore(db);
  const acceptedAt = new Date(Date.now() - 1000);
  for (let i = 0; i < 40; i++) {
    assert.equal(
      await a.accept({
        inboxId: 'ibx_1',
        messageId: `msg_${i}`,
        channelMessageId: `sandbox.${i}`,
        recipient: '+48500100200',
        statuses: [DeliveryStatus.SENT, DeliveryStatus.DELIVERED],
        intervalMs: 0,
        acceptedAt,
      }),
      true,
    );
  }
  assert.equal(
    await b.accept({
      inboxId: 'ibx_1',
      messageId: 'msg_0',
      channelMessageId: 'sandbox.0',
      recipient: '+48500100200',
      statuses: [DeliveryStatus.SENT],
      intervalMs: 0,
      acceptedAt,
    }),
    false,
    'a message id is accepted once',
  );

  const now = new Date();
  const [x, y] = await Promise.all([a.claim(25, now, 5000), b.claim(25, now, 5000)]);
  const ids = [...x.callbacks, ...y.callbacks].map((c) => c.id);
  assert.equal(ids.length, 40, 'together they got every due row');
  assert.equal(new Set(ids).size, 40, 'no row twice');
  assert.deepEqual((await a.claim(10, now, 5000)).callbacks, [], 'leased rows are not claimable');
  assert.equal((await a.nextWakeAt(now))?.getTime(), now.getTime() + 5000, 'the next wake-up is when the leases run out');

  // x's rows advance to DELIVERED an hour from now; y's rows are done.
  const later = new Date(now.getTime() + 3600_000);
  await a.settle(
    x.token,
    x.callbacks.map((c) => ({ id: c.id, next: { step: 1, attempts: 0, dueAt: later } })),
    now,
  );
  await b.settle(
    y.token,
    y.callbacks.map((c) => ({ id: c.id, next: null })),
    now,
  );
  // A settle under a stale token changes nothing.
  await a.settle(
    'not-the-token',
    y.callbacks.map((c) => ({ id: c.id, next: { step: 0, attempts: 0, dueAt: now } })),
    now,
  );
  assert.deepEqual((await a.claim(50, now, 5000)).callbacks, []);
  assert.equal((await a.nextWakeAt(now))?.getTime(), later.getTime());
  const due = await a.claim(50, later, 5000);
  assert.equal(due.callbacks.length, x.callbacks.length);
  assert.ok(due.callbacks.every((c) => c.status === DeliveryStatus.DELIVERED && c.step === 1));
  assert.equal(await db.em.fork().count(SandboxCallback, { doneAt: { $ne: null } }), y.callbacks.length);
});
