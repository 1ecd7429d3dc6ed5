import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postSandboxWebhook, sandboxSecretFor, sandboxStatusEvent } from './helpers/delivery';
import { insertHandedOffMessages } from './helpers/bulk';
import { startTestServer, type TestServer } from './helpers/server';
import { newId } from '../src/lib/ids';
import { ChannelKind } from '../src/modules/channel/channel-kind';
import { PendingStatus } from '../src/modules/delivery/pending-status.entity';
import { WebhookReceipt } from '../src/modules/delivery/webhook-receipt.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import type { EventMessage } from '../src/modules/event/event.service';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { Tenant } from '../src/modules/tenant/tenant.entity';
import { Topics } from '../src/pubsub/pubsub';

const { SENT, DELIVERED, READ } = DeliveryStatus;

/** Outbound messages already handed to the provider (PENDING, channel id `wh.<i>`), in the demo WhatsApp inbox. */
function pendingMessages(s: TestServer, count: number): Promise<string[]> {
  return insertHandedOffMessages(s.db.em.fork(), s.demo, { count, channelIdPrefix: 'wh', at: new Date(Date.now() - 60_000) });
}

test('a batch of statuses larger than one transaction lands whole, in order per message, published after commit, once', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const secret = await sandboxSecretFor(s.db, s.demo.whatsapp.id, s.config.delivery);
  const ids = await pendingMessages(s, 300);
  const base = Date.now() - 30_000;
  // Message i gets SENT at position i, DELIVERED at 300 + i, READ at 600 + i: one message's
  // statuses fall in different transactions, and must still apply in that order.
  const statuses = [SENT, DELIVERED, READ].flatMap((status, step) =>
    ids.map((_, i) => sandboxStatusEvent(`wh.${i}`, status, { at: new Date(base + step * 1000), id: `wh-${step}-${i}` })),
  );
  // A provider repeating an event inside one batch, and a status for a message we do not know yet.
  const batch = [...statuses, statuses[5], statuses[650], sandboxStatusEvent('wh.unknown', DELIVERED, { id: 'wh-unknown' })];

  const published: EventMessage[] = [];
  const committedAtPublish: boolean[] = [];
  const feed = s.server.deps.pubsub.subscribe<EventMessage>(Topics.tenant(s.demo.tenant.id));
  const reading = (async () => {
    for await (const event of feed) {
      published.push(event);
      // Readable from another connection the moment it is published: it had committed.
      if (published.length % 100 === 1) committedAtPublish.push((await s.db.em.fork().count(DomainEvent, { id: event.id })) === 1);
      if (published.length === 900) return;
    }
  })();

  const first = await postSandboxWebhook(s.httpUrl, s.demo.whatsapp.id, secret, batch);
  assert.equal(first.status, 200);
  assert.deepEqual(first.body, { received: 903, duplicates: 2 });
  await reading;
  assert.ok(committedAtPublish.every(Boolean));
  assert.equal(published.filter((e) => e.type === EventType.MESSAGE_STATUS_CHANGED).length, 900);

  const em = s.db.em.fork();
  const messages = await em.find(Message, { id: { $in: ids } });
  assert.equal(messages.length, 300);
  for (const m of messages) {
    assert.equal(m.deliveryStatus, READ, m.channelMessageId!);
    assert.deepEqual(
      m.statusHistory.map((h) => h.status),
      [DeliveryStatus.PENDING, SENT, DELIVERED, READ],
    );
  }
  assert.equal(await em.count(PendingStatus, { channelMessageId: 'wh.unknown' }), 1);
  assert.equal(await em.count(WebhookReceipt, { inboxId: s.demo.whatsapp.id, providerEventId: { $like: 'wh-%' } }), 901);

  // Redelivered whole: acknowledged, nothing applied twice.
  const eventsBefore = await em.count(DomainEvent, {});
  const again = await postSandboxWebhook(s.httpUrl, s.demo.whatsapp.id, secret, batch);
  assert.deepEqual([again.status, again.body], [200, { received: 903, duplicates: 903 }]);
  assert.equal(await s.db.em.fork().count(DomainEvent, {}), eventsBefore);
  assert.equal(await s.db.em.fork().count(PendingStatus, { channelMessageId: 'wh.unknown' }), 1);
});

test('a webhook for an unknown, malformed or foreign inbox id is answered exactly like a bad signature', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const em = s.db.em.fork();
  const other = em.create(Tenant, { name: 'Other Co', eventSeq: 0, createdAt: new Date() });
  const inbox = (tenantId: string, provider: string) =>
    em.create(Inbox, {
      tenantId,
      name: provider,
      channel: ChannelKind.WHATSAPP,
      provider,
      senderAddress: '+48500100200',
      windowHours: null,
      humanAgentWindowHours: null,
      providerConfig: {},
      createdAt: new Date(),
    });
  const foreign = inbox(other.id, 'sandbox');
  const unspoken = inbox(s.demo.tenant.id, 'carrier-pigeon');
  await em.flush();

  const ids = {
    ownWithBadSignature: s.demo.whatsapp.id,
    unknown: newId('inbox'),
    malformed: 'not-an-inbox',
    otherTenants: foreign.id,
    providerWeDoNotSpeak: unspoken.id,
  };
  const answers: Record<string, unknown> = {};
  const handshakes: Record<string, unknown> = {};
  for (const [name, id] of Object.entries(ids)) {
    const res = await postSandboxWebhook(s.httpUrl, id, 'not-the-secret', [sandboxStatusEvent('wh.x', READ, { id: `probe-${name}` })]);
    answers[name] = res;
    const hs = await fetch(`${s.httpUrl}/webhooks/${id}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=42`);
    handshakes[name] = { status: hs.status, body: await hs.text() };
  }
  for (const name of Object.keys(ids)) {
    assert.deepEqual(answers[name], answers.ownWithBadSignature, name);
    assert.deepEqual(handshakes[name], handshakes.ownWithBadSignature, name);
  }
  assert.equal((answers.ownWithBadSignature as { status: number }).status, 401);
  assert.equal(await s.db.em.fork().count(WebhookReceipt, { providerEventId: { $like: 'probe-%' } }), 0);
});
