import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { SandboxCallback } from '../src/channels/sandbox/sandbox-callback.entity';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { initDatabase, type Database } from '../src/db/orm';
import { EventType } from '../src/modules/event/event-type';
import { DomainEvent } from '../src/modules/event/event.entity';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Tenant } from '../src/modules/tenant/tenant.entity';
import { RedisPubSub } from '../src/pubsub/redis-pubsub';
import { DeliverySendTextDocument } from './generated/graphql';
import { startChildServer, type ChildServer } from './helpers/child-server';
import { GqlClient } from './helpers/client';
import { clusterUnavailable, REDIS_URL } from './helpers/cluster';
import { waitForMessage } from './helpers/delivery';
import { createTestDatabaseUrl } from './helpers/postgres';

const MESSAGES = 12;

/** Resolves once the child has printed something matching `pattern` (now or later). */
function printed(child: ChildServer, pattern: RegExp, timeoutMs: number): Promise<void> {
  if (pattern.test(child.output())) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing matching ${pattern} within ${timeoutMs} ms:\n${child.output()}`)), timeoutMs);
    const check = () => {
      if (!pattern.test(child.output())) return;
      clearTimeout(timer);
      child.process.stdout!.off('data', check);
      child.process.stderr!.off('data', check);
      resolve();
    };
    child.process.stdout!.on('data', check);
    child.process.stderr!.on('data', check);
  });
}

test('two instances started the README way: one migration and seed; kill -9 of the one holding delivery leases loses nothing and sends nothing twice; the standby leads', async (t) => {
  const why = await clusterUnavailable();
  if (why) {
    t.skip(`cluster tests: ${why}`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cluster-'));
  const pg = await createTestDatabaseUrl();
  const children: ChildServer[] = [];
  let db: Database | null = null;
  const pubsub = new RedisPubSub(REDIS_URL);
  try {
    // What a cluster must share (README, "Production topology"); each process would pick random ones otherwise.
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL,
      DATA_DIR: dir,
      SANDBOX_WEBHOOK_SECRET: 'cluster-sandbox-secret',
      MEDIA_SIGNING_SECRET: 'cluster-media-secret',
      SECRETS_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
      // A dead instance's sends come back after the lease; short, so the test does not wait a minute.
      DELIVERY_LEASE_MS: '3000',
      DELIVERY_POLL_MS: '300',
      LOG_LEVEL: 'info',
    };
    // Started together against an empty database: migrations and the demo seed must happen once.
    const [a, b] = await Promise.all([startChildServer(env), startChildServer(env)]);
    children.push(a, b);
    const tokenOf = (c: ChildServer) => /Demo token \(owner of "Acme Demo"\): (\S+)/.exec(c.output())?.[1];
    // The token line follows the "serving" line the start-up waits for.
    await Promise.all([a, b].map((c) => printed(c, /Demo token/, 10_000)));
    assert.ok(tokenOf(a));
    assert.equal(tokenOf(a), tokenOf(b), 'both print the one demo token');

    db = await initDatabase(loadConfig({}, { databaseUrl: pg.url, dataDir: dir }));
    const tenants = await db.em.fork().find(Tenant, {});
    assert.equal(tenants.length, 1, 'the demo workspace is seeded once');
    const em = db.em.fork();
    const whatsapp = await em.findOneOrFail(Inbox, {
      tenantId: tenants[0].id,
      provider: 'sandbox',
      channel: 'whatsapp' as Inbox['channel'],
    });
    // The sandbox answers slowly, so A still holds its leases when it dies.
    whatsapp.providerConfig = { ...whatsapp.providerConfig, latencyMs: 800 };
    await em.flush();
    const conversation = (await em.findOneOrFail(Conversation, { inboxId: whatsapp.id, name: 'Anna Kowalska' })).id;

    // A's worker is woken by A's own sends and leases them at once; B only polls.
    const client = new GqlClient(a.url, tokenOf(a)!);
    const ids = await Promise.all(
      Array.from(
        { length: MESSAGES },
        async (_, n) =>
          (await client.data(DeliverySendTextDocument, { conversationId: conversation, body: `cluster ${n}` })).sendMessage.message.id,
      ),
    );
    const leased = Number((await db.em.getConnection().execute(`select count(*) as n from outbox_entry where locked_until > now()`))[0].n);
    t.diagnostic(`${leased} of ${MESSAGES} sends leased when A is killed`);
    const aLed = /"msg":"leading"|leading/.test(a.output()) && !/leading/.test(b.output());
    await a.kill9();

    for (const id of ids) await waitForMessage(db, pubsub, tenants[0].id, id, (m) => m.deliveryStatus === DeliveryStatus.READ, 30_000);
    // The sandbox keeps one row per message it accepted: every message reached the provider once.
    assert.equal(await db.em.fork().count(SandboxCallback, { messageId: { $in: ids } }), MESSAGES);
    const events = await db.em
      .fork()
      .find(DomainEvent, { messageId: { $in: ids }, type: EventType.MESSAGE_STATUS_CHANGED }, { orderBy: { seq: 'asc' } });
    for (const id of ids) {
      const tos = events.filter((e) => e.messageId === id).map((e) => (e.payload as { to: string }).to);
      assert.deepEqual(tos, [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ], `status changes of ${id}`);
    }
    // Whoever led before, B leads now (a standby retries every second).
    await printed(b, /leading/, 5000);
    t.diagnostic(`A ${aLed ? 'was' : 'was not'} the leader when killed`);
  } finally {
    for (const c of children) await c.kill9();
    await pubsub.close();
    await db?.orm.close(true);
    await pg.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
