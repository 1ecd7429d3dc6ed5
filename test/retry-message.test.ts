import { after, before, describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelKind } from '../src/modules/channel/channel-kind';
import { Scope } from '../src/modules/auth/scopes';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { OutboxEntry, OutboxState } from '../src/modules/delivery/outbox-entry.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import type { EventMessage } from '../src/modules/event/event.service';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection } from '../src/modules/message/sender-type';
import { Topics } from '../src/pubsub/pubsub';
import { DeliverySendTextDocument, RetriedMessageStateDocument, RetryMessageDocument, SendMessageDocument } from './generated/graphql';
import { errorCode, type GqlResponse } from './helpers/client';
import { postgresUnavailable } from './helpers/postgres';
import { historyOf, patchProviderConfig, SandboxCarrier, statusEvents, testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { startTestServer, type TestServer } from './helpers/server';

const { PENDING, SENT, DELIVERED, READ, FAILED } = DeliveryStatus;

/** The first event on `events` that matches; already-queued events are read without waiting. */
async function firstEvent(events: AsyncIterator<EventMessage>, match: (e: EventMessage) => boolean): Promise<EventMessage> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no matching event within 5 s')), 5000)));
  try {
    for (;;) {
      const next = await Promise.race([events.next(), timeout]);
      assert.ok(!next.done, 'the subscription ended');
      if (match(next.value)) return next.value;
    }
  } finally {
    clearTimeout(timer);
    await events.return?.();
  }
}

function fieldsOf(res: GqlResponse<unknown>): string[] {
  return ((res.errors?.[0]?.extensions?.fields ?? []) as { field: string }[]).map((f) => f.field);
}

/** Runs on SQLite, and on PostgreSQL (row locks really matter there) when a local server answers. */
for (const dialect of ['sqlite', 'postgres'] as const)
  describe(`retryMessage (${dialect})`, () => {
    let s: TestServer;
    let skipped: string | null = null;
    const carrier = new SandboxCarrier();
    // Three tries per run, fast backoff, no poll: only notify() and due times wake the worker.
    const delivery = testDeliveryConfig();
    /** A WhatsApp sandbox inbox that reports no statuses by itself: its messages stay SENT. */
    let quietInboxId: string;
    /** Emma's seeded FAILED message, with no outbox entry (as imported history would be). */
    let seededFailedId: string;

    before(async () => {
      if (dialect === 'postgres') skipped = await postgresUnavailable();
      if (skipped) return;
      s = await startTestServer({
        dialect,
        sandbox: carrier,
        config: { delivery },
        beforeStart: async (db, demo) => {
          const em = db.em.fork();
          for (const inbox of [demo.whatsapp, demo.sms]) (await em.findOneOrFail(Inbox, inbox.id)).providerConfig = { latencyMs: 0 };
          const quiet = em.create(Inbox, {
            tenantId: demo.tenant.id,
            name: 'WhatsApp Quiet',
            channel: ChannelKind.WHATSAPP,
            provider: 'sandbox',
            senderAddress: '+14155550178',
            windowHours: null,
            humanAgentWindowHours: null,
            providerConfig: { latencyMs: 0, statusCallbacks: [] },
            createdAt: new Date(),
          });
          const emma = demo.conversations.find((c) => c.name === 'Emma Fischer')!;
          const seeded = await em.findOneOrFail(Message, { conversationId: emma.id, deliveryStatus: DeliveryStatus.FAILED });
          // The seed gives every message a channel id; a send the provider refused has none.
          seeded.channelMessageId = null;
          seededFailedId = seeded.id;
          await em.flush();
          quietInboxId = quiet.id;
        },
      });
    });
    after(async () => {
      carrier.close();
      await s?.close();
    });
    const test = (title: string, fn: () => Promise<void>) =>
      nodeTest(title, async (t) => {
        if (skipped) return t.skip(skipped);
        await fn();
      });

    const conversationOf = (name: string) => s.demo.conversations.find((c) => c.name === name)!;
    const send = async (conversationId: string, body: string) =>
      (await s.client().data(DeliverySendTextDocument, { conversationId, body })).sendMessage.message;
    const waitFor = (messageId: string, pred: (m: Message) => boolean) =>
      waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, messageId, pred);
    const outboxOf = (messageId: string) => s.db.em.fork().findOne(OutboxEntry, { messageId });
    const retry = (messageId: string, token = s.tokens.owner) => s.client(token).request(RetryMessageDocument, { messageId });

    /** What a refused retry could have changed; it must change none of it. */
    async function snapshot(messageId: string) {
      const em = s.db.em.fork();
      const message = await em.findOne(Message, { id: messageId });
      const outbox = await em.findOne(OutboxEntry, { messageId });
      return {
        status: message?.deliveryStatus,
        history: message?.statusHistory,
        failureCode: message?.failureCode,
        outbox: outbox && { state: outbox.state, attempts: outbox.attempts, nextAttemptAt: outbox.nextAttemptAt.toISOString() },
        events: await em.count(DomainEvent, { messageId }),
      };
    }

    async function refused(messageId: string, code: string, token?: string): Promise<GqlResponse<unknown>> {
      const before = await snapshot(messageId);
      const res = await retry(messageId, token);
      assert.equal(errorCode(res), code, JSON.stringify(res.errors));
      assert.equal(res.data ?? null, null);
      assert.deepEqual(await snapshot(messageId), before, 'a refused retry wrote something');
      return res;
    }

    test('a permanently failed message is retried once the inbox is fixed, and ends READ', async () => {
      const anna = conversationOf('Anna Kowalska');
      const { externalId } = await s.db.em.fork().findOneOrFail(Conversation, anna.id);
      await patchProviderConfig(s.db, s.demo.whatsapp.id, { failRecipients: [externalId] });
      const sent = await send(anna.id, 'Your parcel is waiting at the pickup point.');
      const failed = await waitFor(sent.id, (m) => m.deliveryStatus === FAILED);
      assert.equal(failed.failureCode, 'rejected');
      assert.equal((await outboxOf(sent.id))?.state, OutboxState.FAILED);

      // The inbox is fixed (the number was wrongly blocked); the agent retries.
      await patchProviderConfig(s.db, s.demo.whatsapp.id, { failRecipients: [] });
      const live = s.server.deps.pubsub.subscribe<EventMessage>(Topics.tenant(s.demo.tenant.id));
      const res = await retry(sent.id);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const retried = res.data!.retryMessage.message;
      assert.equal(retried.deliveryStatus, 'PENDING');
      assert.equal(retried.failure, null, 'the failure is cleared');
      assert.deepEqual(
        retried.statusHistory.map((h) => h.status),
        ['PENDING', 'FAILED', 'PENDING'],
      );
      assert.equal(retried.statusHistory[1].failure?.code, 'rejected', 'history keeps why it failed');

      // Published before the answer: the FAILED → PENDING change is already queued on the tenant topic.
      const published = await firstEvent(live, (e) => e.type === EventType.MESSAGE_STATUS_CHANGED && e.messageId === sent.id);
      assert.equal(published.payload.from, FAILED);
      assert.equal(published.payload.to, PENDING);
      assert.equal(published.actorType, 'user');
      assert.equal(published.actorId, s.demo.owner.id, 'attributed to the agent who retried');
      const { id: outboxId } = (await outboxOf(sent.id))!;
      assert.equal(published.causationId, `retry:${outboxId}#${delivery.maxAttempts + 1}`, 'names the run it starts');

      const read = await waitFor(sent.id, (m) => m.deliveryStatus === READ);
      assert.deepEqual(historyOf(read), [PENDING, FAILED, PENDING, SENT, DELIVERED, READ]);
      const { message } = await s.client().data(RetriedMessageStateDocument, { id: sent.id });
      assert.deepEqual(
        message!.statusHistory.map((h) => h.status),
        ['PENDING', 'FAILED', 'PENDING', 'SENT', 'DELIVERED', 'READ'],
      );
      assert.equal(message!.failure, null);
      assert.deepEqual(
        (await statusEvents(s.db, sent.id)).map((e) => [e.payload.from, e.payload.to]),
        [
          [PENDING, FAILED],
          [FAILED, PENDING],
          [PENDING, SENT],
          [SENT, DELIVERED],
          [DELIVERED, READ],
        ],
      );
      assert.equal(carrier.requestCount(sent.id), 2);
      assert.equal(carrier.acceptedCount(sent.id), 1);
      const outbox = (await outboxOf(sent.id))!;
      assert.equal(outbox.state, OutboxState.DONE);
      // Never reset: the retried run began after the first run's budget (attempt 1 of 1…3 → 4).
      assert.equal(outbox.attempts, delivery.maxAttempts + 1);
    });

    test('a retried run gets a fresh attempt budget: transient failures are retried again, not failed at once', async () => {
      // The first maxAttempts + 1 sends fail temporarily: the first run runs out, the retried run recovers.
      const sent = await send(conversationOf('Anna Kowalska').id, `Flaky provider #fail:temporary:${delivery.maxAttempts + 1}`);
      const failed = await waitFor(sent.id, (m) => m.deliveryStatus === FAILED);
      assert.equal(failed.failureCode, 'sandbox_unavailable');
      assert.equal(carrier.requestCount(sent.id), delivery.maxAttempts);
      assert.equal((await outboxOf(sent.id))?.attempts, delivery.maxAttempts);

      assert.equal((await retry(sent.id)).errors, undefined);
      const read = await waitFor(sent.id, (m) => m.deliveryStatus === READ);
      assert.deepEqual(historyOf(read), [PENDING, FAILED, PENDING, SENT, DELIVERED, READ]);
      assert.equal(carrier.requestCount(sent.id), delivery.maxAttempts + 2, 'one more failure, then accepted');
      assert.equal(carrier.acceptedCount(sent.id), 1);
      assert.equal((await outboxOf(sent.id))?.attempts, delivery.maxAttempts + 2);
    });

    test('a FAILED message without an outbox entry gets one, and is sent again', async () => {
      assert.equal(await outboxOf(seededFailedId), null);
      const res = await retry(seededFailedId);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      // Emma never wrote in, so the WhatsApp window is shut: the worker refuses to send free text.
      const failedAgain = await waitFor(seededFailedId, (m) => m.statusHistory.length === 4);
      assert.deepEqual(historyOf(failedAgain), [PENDING, FAILED, PENDING, FAILED]);
      assert.equal(failedAgain.failureCode, 'window_closed');
      const outbox = (await outboxOf(seededFailedId))!;
      assert.equal(outbox.state, OutboxState.FAILED);
      assert.equal(outbox.attempts, 1);
    });

    test('only FAILED outbound messages the provider never accepted can be retried; nothing is written otherwise', async () => {
      const anna = conversationOf('Anna Kowalska');
      const delivered = await send(anna.id, 'All good.');
      await waitFor(delivered.id, (m) => m.deliveryStatus === READ);
      let res = await refused(delivered.id, 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(res), ['messageId']);
      assert.match(res.errors![0].message, /is READ; only FAILED messages can be retried/);

      const note = await s.client().data(SendMessageDocument, {
        input: { recipient: { conversation: { conversationId: anna.id } }, content: { note: { body: 'Internal' } } },
      });
      res = await refused(note.sendMessage.message.id, 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(res), ['messageId']);
      assert.match(res.errors![0].message, /internal note/);

      const customer = await s.db.em.fork().findOneOrFail(Message, { conversationId: anna.id, direction: MessageDirection.INBOUND });
      res = await refused(customer.id, 'BAD_USER_INPUT');
      assert.match(res.errors![0].message, /customer message/);

      // Accepted by the provider, then reported undeliverable: resending under the same id would be a no-op.
      const bounced = await send(anna.id, 'Phone is off #fail:delivery');
      await waitFor(bounced.id, (m) => m.deliveryStatus === FAILED);
      res = await refused(bounced.id, 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(res), ['messageId']);
      assert.match(res.errors![0].message, /accepted by the provider/);

      // On its way (the quiet inbox never reports more than SENT).
      const firstContact = await s.client().data(SendMessageDocument, {
        input: {
          recipient: { channel: { inboxId: quietInboxId, address: '+48500100299' } },
          content: { template: { name: 'hello', language: 'en' } },
        },
      });
      const onItsWay = await waitFor(firstContact.sendMessage.message.id, (m) => m.deliveryStatus === SENT);
      res = await refused(onItsWay.id, 'BAD_USER_INPUT');
      assert.match(res.errors![0].message, /is SENT/);
    });

    test('retrying the same failure twice: the second finds it PENDING and is refused', async () => {
      const sent = await send(conversationOf('Anna Kowalska').id, 'Rejected #fail');
      await waitFor(sent.id, (m) => m.deliveryStatus === FAILED);
      await s.server.deps.delivery.stop();
      try {
        assert.equal((await retry(sent.id)).errors, undefined);
        const res = await refused(sent.id, 'BAD_USER_INPUT');
        assert.match(res.errors![0].message, /is PENDING/);
      } finally {
        s.server.deps.delivery.start();
      }
      const again = await waitFor(sent.id, (m) => m.statusHistory.length === 4);
      assert.deepEqual(historyOf(again), [PENDING, FAILED, PENDING, FAILED], 'the marker still rejects it');
    });

    test('a message you cannot see is NOT_FOUND; a token without message:create is FORBIDDEN; ids are checked', async () => {
      const sent = await send(conversationOf('Anna Kowalska').id, 'Nope #fail');
      await waitFor(sent.id, (m) => m.deliveryStatus === FAILED);
      await refused(sent.id, 'NOT_FOUND', s.tokens.smsAgent);
      await refused(sent.id, 'FORBIDDEN', await s.token('owner', [Scope.CONVERSATION_READ]));
      const malformed = await retry('not-an-id');
      assert.equal(errorCode(malformed), 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(malformed), ['messageId']);
      assert.equal(errorCode(await retry('msg_01HV8Z2G8Z3H5M9K2S6A1N0P4X')), 'NOT_FOUND');
    });
  });
