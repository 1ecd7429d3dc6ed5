import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initDatabase } from '../src/db/orm';
import { OutboxEntry, OutboxState } from '../src/modules/delivery/outbox-entry.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { createServer } from '../src/server';
import { DeliverySendTextDocument } from './generated/graphql';
import { GqlClient } from './helpers/client';
import { historyOf, SandboxCarrier, statusEvents, testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { holdFirstAnswer, instantWhatsApp } from './helpers/send-in-flight';
import { startTestServer } from './helpers/server';

const { PENDING, SENT, DELIVERED, READ } = DeliveryStatus;

test('a worker stopped between the provider accepting and our commit delivers exactly once after a restart', async (t) => {
  // The provider outlives our process, so one carrier serves both servers.
  const carrier = new SandboxCarrier();
  const cleanup: (() => Promise<unknown> | void)[] = [];
  // Newest first: the restarted server, then its database, then the first server and its files.
  t.after(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  cleanup.push(() => carrier.close());
  const delivery = testDeliveryConfig({ leaseMs: 1500 });
  const s = await startTestServer({
    sandbox: carrier,
    config: { delivery },
    beforeStart: instantWhatsApp,
  });
  cleanup.push(() => s.close());

  // Hold the first answer: to our worker the provider is silent, though it has the message.
  const { accepted, release } = holdFirstAnswer(carrier);
  cleanup.push(release);

  const anna = s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!;
  const { sendMessage } = await s.client().data(DeliverySendTextDocument, { conversationId: anna.id, body: 'Sent across a crash' });
  const messageId = sendMessage.message.id;
  await accepted;
  assert.equal(carrier.acceptedCount(messageId), 1);

  // "Crash": the server goes away while the send is in flight; nothing about it is committed.
  await s.server.close();
  await s.db.orm.close(true);
  const reopened = await initDatabase(s.config);
  cleanup.push(() => reopened.orm.close(true));
  {
    const em = reopened.em.fork();
    const message = await em.findOneOrFail(Message, messageId);
    const entry = await em.findOneOrFail(OutboxEntry, { messageId });
    assert.equal(message.deliveryStatus, PENDING);
    assert.equal(message.channelMessageId, null);
    assert.equal(entry.state, OutboxState.PENDING);
    assert.equal(entry.attempts, 1);
    assert.ok(entry.lockedUntil && entry.lockedUntil.getTime() > Date.now() - delivery.leaseMs, 'the crashed claim still holds its lease');
  }

  // A new process on the same database file: the lease runs out, the entry is reclaimed and resent.
  const restarted = await createServer(s.config, { db: reopened, sandbox: carrier });
  cleanup.push(() => restarted.close());
  const read = await waitForMessage(reopened, restarted.deps.pubsub, s.demo.tenant.id, messageId, (m) => m.deliveryStatus === READ);

  assert.equal(carrier.acceptedCount(messageId), 1, 'the provider delivered it once');
  assert.equal(carrier.requestCount(messageId), 2, 'the restarted worker asked again, with the same idempotency key');
  assert.deepEqual(
    carrier.requests.filter((r) => r.messageId === messageId).map((r) => r.outcome),
    ['accepted', 'duplicate'],
  );
  assert.equal(read.channelMessageId, SandboxCarrier.channelMessageIdFor(s.demo.whatsapp.id, messageId));
  assert.deepEqual(historyOf(read), [PENDING, SENT, DELIVERED, READ]);
  assert.equal((await statusEvents(reopened, messageId)).length, 3);
  const entry = await reopened.em.fork().findOneOrFail(OutboxEntry, { messageId });
  assert.equal(entry.state, OutboxState.DONE);
  assert.equal(entry.attempts, 2);

  // The first server's answer finally arrives: its worker is gone, so it changes nothing.
  release();
  await carrier.idle();
  const after = await reopened.em.fork().findOneOrFail(Message, messageId);
  assert.deepEqual(historyOf(after), [PENDING, SENT, DELIVERED, READ]);
  assert.equal(carrier.acceptedCount(messageId), 1);

  // The restarted server serves the API as usual.
  const client = new GqlClient(restarted.url, s.demoToken);
  const again = await client.data(DeliverySendTextDocument, { conversationId: anna.id, body: 'After the restart' });
  await waitForMessage(reopened, restarted.deps.pubsub, s.demo.tenant.id, again.sendMessage.message.id, (m) => m.deliveryStatus === READ);
});
