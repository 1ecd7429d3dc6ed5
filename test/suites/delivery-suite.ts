import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxCarrier } from '../../src/channels/sandbox/sandbox.carrier';
import { SANDBOX_SIGNATURE_HEADER, signSandboxWebhook } from '../../src/channels/sandbox/sandbox.wire';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { ContactIdentity } from '../../src/modules/contact/contact-identity.entity';
import { ConversationSession } from '../../src/modules/conversation/conversation-session.entity';
import { Conversation } from '../../src/modules/conversation/conversation.entity';
import { DomainEvent } from '../../src/modules/event/event.entity';
import { EventType } from '../../src/modules/event/event-type';
import { OutboxEntry, OutboxState } from '../../src/modules/delivery/outbox-entry.entity';
import { PendingStatus } from '../../src/modules/delivery/pending-status.entity';
import { WebhookReceipt } from '../../src/modules/delivery/webhook-receipt.entity';
import { Inbox } from '../../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { STATUS_RANK } from '../../src/modules/message/status-transitions';
import { Message } from '../../src/modules/message/message.entity';
import {
  DeliveryMessageDocument,
  DeliverySendTextDocument,
  InboxCapabilitiesDocument,
  SimulateInboundDocument,
} from '../generated/graphql';
import {
  deferred,
  historyOf,
  postSandboxWebhook,
  sandboxSecretFor,
  sandboxStatusEvent,
  statusEvents,
  testDeliveryConfig,
  waitForMessage,
} from '../helpers/delivery';
import type { TestServer, TestServerOptions } from '../helpers/server';

const { PENDING, SENT, DELIVERED, READ, FAILED } = DeliveryStatus;
const MANUAL_SECRET = 'manual-inbox-secret';

/**
 * Outbound delivery through the sandbox provider, end to end over real HTTP: sendMessage → outbox →
 * worker → sandbox → signed status webhooks → status state machine. Registered once per dialect.
 */
export function registerDeliverySuite(name: string, start: (opts: TestServerOptions) => Promise<TestServer | null>): void {
  describe(name, () => {
    let s: TestServer;
    let skipped: string | null = null;
    const carrier = new SandboxCarrier();
    const delivery = testDeliveryConfig();
    /** A WhatsApp sandbox inbox that reports nothing by itself: tests send its callbacks. */
    let manualInboxId: string;
    let manualConversationId: string;

    before(async () => {
      const started = await start({
        sandbox: carrier,
        config: { delivery },
        beforeStart: async (db, demo) => {
          const em = db.em.fork();
          for (const inbox of [demo.whatsapp, demo.sms]) {
            const row = await em.findOneOrFail(Inbox, inbox.id);
            row.providerConfig = { latencyMs: 0, failureRate: 0 };
          }
          const manual = em.create(Inbox, {
            tenantId: demo.tenant.id,
            name: 'WhatsApp Manual',
            channel: ChannelKind.WHATSAPP,
            provider: 'sandbox',
            senderAddress: '+14155550177',
            windowHours: null,
            humanAgentWindowHours: null,
            providerConfig: { latencyMs: 0, statusCallbacks: [], webhookSecret: MANUAL_SECRET },
            createdAt: new Date(),
          });
          await em.flush();
          manualInboxId = manual.id;
        },
      });
      if (!started) {
        skipped = 'database unavailable';
        return;
      }
      s = started;
      const inbound = await s
        .client()
        .data(SimulateInboundDocument, { inboxId: manualInboxId, from: '+48500100200', text: 'Hello manual', name: 'Manny' });
      manualConversationId = inbound.simulateInboundMessage.conversation.id;
    });
    after(async () => {
      carrier.close();
      if (s) await s.close();
    });

    const it = (title: string, fn: () => Promise<void>) =>
      test(title, async (t) => {
        if (skipped) return t.skip(skipped);
        await fn();
      });
    const conversationOf = (n: string) => s.demo.conversations.find((c) => c.name === n)!;
    const send = async (conversationId: string, body: string) =>
      (await s.client().data(DeliverySendTextDocument, { conversationId, body })).sendMessage.message;
    const waitFor = (messageId: string, pred: (m: Message) => boolean) =>
      waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, messageId, pred);
    const outboxOf = (messageId: string) => s.db.em.fork().findOneOrFail(OutboxEntry, { messageId });
    const manualPost = (events: Parameters<typeof postSandboxWebhook>[3]) =>
      postSandboxWebhook(s.httpUrl, manualInboxId, MANUAL_SECRET, events);

    it('a sandbox send goes PENDING → SENT → DELIVERED → READ, one status event per step', async () => {
      const sent = await send(conversationOf('Anna Kowalska').id, 'Your parcel is on its way.');
      assert.equal(sent.deliveryStatus, 'PENDING');
      await waitFor(sent.id, (m) => m.deliveryStatus === READ);

      const { message } = await s.client().data(DeliveryMessageDocument, { id: sent.id });
      assert.equal(message!.deliveryStatus, 'READ');
      assert.deepEqual(
        message!.statusHistory.map((h) => h.status),
        ['PENDING', 'SENT', 'DELIVERED', 'READ'],
      );
      assert.equal(message!.channelMessageId, SandboxCarrier.channelMessageIdFor(s.demo.whatsapp.id, sent.id));
      assert.equal(message!.failure, null);
      const times = message!.statusHistory.map((h) => Date.parse(h.at));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        'history never runs backwards in time',
      );
      assert.equal(carrier.acceptedCount(sent.id), 1);

      const events = await statusEvents(s.db, sent.id);
      assert.deepEqual(
        events.map((e) => [e.payload.from, e.payload.to]),
        [
          [PENDING, SENT],
          [SENT, DELIVERED],
          [DELIVERED, READ],
        ],
      );
      assert.equal((await outboxOf(sent.id)).state, OutboxState.DONE);
    });

    it('an SMS send stops at DELIVERED: the channel has no read receipts', async () => {
      const sent = await send(conversationOf('George Brown').id, 'The technician is outside.');
      await waitFor(sent.id, (m) => m.deliveryStatus === DELIVERED);
      await carrier.idle();
      const { message } = await s.client().data(DeliveryMessageDocument, { id: sent.id });
      assert.deepEqual(
        message!.statusHistory.map((h) => h.status),
        ['PENDING', 'SENT', 'DELIVERED'],
      );
    });

    it('a permanent refusal fails the message at once, with the provider reason, without retrying', async () => {
      const sent = await send(conversationOf('Anna Kowalska').id, 'This one bounces #fail');
      const failed = await waitFor(sent.id, (m) => m.deliveryStatus === FAILED);
      assert.equal(failed.failureCode, 'rejected');
      assert.match(failed.failureReason ?? '', /cannot receive messages/);
      assert.equal(carrier.requestCount(sent.id), 1);
      assert.equal(carrier.acceptedCount(sent.id), 0);

      const { message } = await s.client().data(DeliveryMessageDocument, { id: sent.id });
      assert.deepEqual(message!.failure, { code: 'rejected', reason: failed.failureReason });
      assert.deepEqual(
        message!.statusHistory.map((h) => h.status),
        ['PENDING', 'FAILED'],
      );
      assert.equal(message!.statusHistory[1].failure?.code, 'rejected');
      const outbox = await outboxOf(sent.id);
      assert.equal(outbox.state, OutboxState.FAILED);
      assert.equal(outbox.attempts, 1);
      const [event] = await statusEvents(s.db, sent.id);
      assert.deepEqual(event.payload.failure, { code: 'rejected', reason: failed.failureReason });
    });

    it('transient failures are retried with backoff up to maxAttempts, then FAILED with the last reason', async () => {
      const sent = await send(conversationOf('Anna Kowalska').id, 'The provider is down #fail:temporary');
      const failed = await waitFor(sent.id, (m) => m.deliveryStatus === FAILED);
      assert.equal(carrier.requestCount(sent.id), delivery.maxAttempts, 'one request per attempt');
      assert.equal(failed.failureCode, 'sandbox_unavailable');
      assert.match(failed.failureReason ?? '', /temporarily unavailable/);
      assert.deepEqual(historyOf(failed), [PENDING, FAILED]);
      const outbox = await outboxOf(sent.id);
      assert.equal(outbox.state, OutboxState.FAILED);
      assert.equal(outbox.attempts, delivery.maxAttempts);
      assert.match(outbox.lastError ?? '', /^sandbox_unavailable: /);
    });

    it('a transient failure followed by success is delivered exactly once', async () => {
      const sent = await send(conversationOf('Anna Kowalska').id, 'Flaky network #fail:temporary:2');
      const read = await waitFor(sent.id, (m) => m.deliveryStatus === READ);
      assert.equal(carrier.requestCount(sent.id), 3);
      assert.equal(carrier.acceptedCount(sent.id), 1);
      assert.deepEqual(historyOf(read), [PENDING, SENT, DELIVERED, READ]);
      assert.equal(read.failureCode, null);
      assert.equal((await outboxOf(sent.id)).attempts, 3);
    });

    it('a message the handset never gets ends FAILED from the status callback', async () => {
      const sent = await send(conversationOf('Anna Kowalska').id, 'Phone is off #fail:delivery');
      const failed = await waitFor(sent.id, (m) => m.deliveryStatus === FAILED);
      assert.deepEqual(historyOf(failed), [PENDING, SENT, FAILED]);
      assert.equal(failed.failureCode, 'undeliverable');
      assert.equal(carrier.acceptedCount(sent.id), 1);
    });

    it('duplicate and out-of-order callbacks never move a status backwards', async () => {
      const sent = await send(manualConversationId, 'Manual callbacks');
      const stored = await waitFor(sent.id, (m) => m.deliveryStatus === SENT);
      const cmid = stored.channelMessageId!;

      const read = await manualPost([sandboxStatusEvent(cmid, READ)]);
      assert.deepEqual(read, { status: 200, body: { received: 1, duplicates: 0 } });
      // Late DELIVERED and SENT (new provider events), then the READ again (a redelivery).
      assert.equal((await manualPost([sandboxStatusEvent(cmid, DELIVERED)])).status, 200);
      assert.equal((await manualPost([sandboxStatusEvent(cmid, SENT, { id: `late-sent-${cmid}` })])).status, 200);
      const again = await manualPost([sandboxStatusEvent(cmid, READ)]);
      assert.deepEqual(again.body, { received: 1, duplicates: 1 });
      // A failure reported after READ is stale: a read message was delivered.
      assert.equal((await manualPost([sandboxStatusEvent(cmid, FAILED)])).status, 200);

      const { message } = await s.client().data(DeliveryMessageDocument, { id: sent.id });
      assert.equal(message!.deliveryStatus, 'READ');
      assert.deepEqual(
        message!.statusHistory.map((h) => h.status),
        ['PENDING', 'SENT', 'READ'],
      );
      assert.equal(message!.failure, null);
      assert.equal((await statusEvents(s.db, sent.id)).length, 2);
      const receipts = await s.db.em.fork().count(WebhookReceipt, { inboxId: manualInboxId, providerEventId: `sbevt_${cmid}_read` });
      assert.equal(receipts, 1);
    });

    it('two callbacks for one message at the same moment apply one after the other', async () => {
      const sent = await send(manualConversationId, 'Racing callbacks');
      const cmid = (await waitFor(sent.id, (m) => m.deliveryStatus === SENT)).channelMessageId!;
      const results = await Promise.all([
        manualPost([sandboxStatusEvent(cmid, DELIVERED)]),
        manualPost([sandboxStatusEvent(cmid, READ)]),
        manualPost([sandboxStatusEvent(cmid, DELIVERED, { id: 'dup-delivered-a' })]),
        manualPost([sandboxStatusEvent(cmid, READ, { id: 'dup-read-b' })]),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        [200, 200, 200, 200],
      );
      const final = await s.db.em.fork().findOneOrFail(Message, sent.id);
      assert.equal(final.deliveryStatus, READ);
      const history = historyOf(final);
      assert.equal(new Set(history).size, history.length, `no status twice: ${history.join(' → ')}`);
      const ranks = history.map((h) => STATUS_RANK[h]);
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => a - b),
        'history only moves forward',
      );
      assert.equal((await statusEvents(s.db, sent.id)).length, history.length - 1, 'one event per applied change');
    });

    it('a status that arrives before the channel message id is stored is parked, then applied with it', async () => {
      const parked = deferred<{ status: number; pending: number; messageStatus: DeliveryStatus | null }>();
      const release = deferred();
      carrier.afterAccept = async (accepted) => {
        carrier.afterAccept = null;
        // The provider has the message; our worker has not heard back yet. Its callback comes first.
        const res = await manualPost([sandboxStatusEvent(accepted.channelMessageId, DELIVERED)]);
        const em = s.db.em.fork();
        const pending = await em.count(PendingStatus, { inboxId: manualInboxId, channelMessageId: accepted.channelMessageId });
        const message = await em.findOneOrFail(Message, accepted.messageId);
        parked.resolve({ status: res.status, pending, messageStatus: message.deliveryStatus });
        await release.promise;
      };
      const sent = await send(manualConversationId, 'Early callback');
      const early = await parked.promise;
      assert.deepEqual(early, { status: 200, pending: 1, messageStatus: PENDING });

      release.resolve();
      const delivered = await waitFor(sent.id, (m) => m.deliveryStatus === DELIVERED);
      assert.deepEqual(historyOf(delivered), [PENDING, SENT, DELIVERED]);
      assert.equal(delivered.channelMessageId, SandboxCarrier.channelMessageIdFor(manualInboxId, sent.id));
      assert.equal(await s.db.em.fork().count(PendingStatus, { channelMessageId: delivered.channelMessageId! }), 0);
      const events = await statusEvents(s.db, sent.id);
      assert.deepEqual(
        events.map((e) => e.payload.to),
        [SENT, DELIVERED],
      );
    });

    it('a webhook with a bad or missing signature is 401 and stores nothing', async () => {
      const sent = await send(manualConversationId, 'Forged callbacks');
      const cmid = (await waitFor(sent.id, (m) => m.deliveryStatus === SENT)).channelMessageId!;
      const receiptsBefore = await s.db.em.fork().count(WebhookReceipt, {});
      const pendingBefore = await s.db.em.fork().count(PendingStatus, {});

      const forged = await postSandboxWebhook(s.httpUrl, manualInboxId, 'not-the-secret', [
        sandboxStatusEvent(cmid, READ, { id: 'forged-1' }),
      ]);
      assert.equal(forged.status, 401);
      const body = JSON.stringify({ events: [sandboxStatusEvent(cmid, READ, { id: 'forged-2' })] });
      const unsigned = await postSandboxWebhook(s.httpUrl, manualInboxId, '', [], {
        body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(unsigned.status, 401);
      // Signed for another body: the signature covers every byte.
      const tampered = await postSandboxWebhook(s.httpUrl, manualInboxId, '', [], {
        body,
        headers: {
          'content-type': 'application/json',
          [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(MANUAL_SECRET, body.replace('forged-2', 'forged-3')),
        },
      });
      assert.equal(tampered.status, 401);
      // The demo inbox's secret does not open the manual inbox.
      const otherSecret = await sandboxSecretFor(s.db, s.demo.whatsapp.id, delivery);
      assert.equal(
        (await postSandboxWebhook(s.httpUrl, manualInboxId, otherSecret, [sandboxStatusEvent(cmid, READ, { id: 'forged-4' })])).status,
        401,
      );

      const em = s.db.em.fork();
      assert.equal(await em.count(WebhookReceipt, {}), receiptsBefore);
      assert.equal(await em.count(PendingStatus, {}), pendingBefore);
      assert.equal((await s.client().data(DeliveryMessageDocument, { id: sent.id })).message!.deliveryStatus, 'SENT');

      // Properly signed, it goes through: the refusals above were about the signature only.
      assert.equal((await manualPost([sandboxStatusEvent(cmid, READ, { id: 'genuine-read' })])).status, 200);
      assert.equal((await s.client().data(DeliveryMessageDocument, { id: sent.id })).message!.deliveryStatus, 'READ');
    });

    it('webhooks for unknown inboxes are refused like a bad signature and malformed signed bodies are 400', async () => {
      const unknown = await postSandboxWebhook(s.httpUrl, 'ibx_01HZZZZZZZZZZZZZZZZZZZZZZZ', MANUAL_SECRET, []);
      assert.equal(unknown.status, 401);
      assert.equal((await postSandboxWebhook(s.httpUrl, 'not-an-id', MANUAL_SECRET, [])).status, 401);
      const body = JSON.stringify({ events: [{ id: 'x', type: 'teleport', timestamp: new Date().toISOString() }] });
      const bad = await postSandboxWebhook(s.httpUrl, manualInboxId, '', [], {
        body,
        headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(MANUAL_SECRET, body) },
      });
      assert.equal(bad.status, 400);
      assert.equal(await s.db.em.fork().count(WebhookReceipt, { providerEventId: 'x' }), 0);
    });

    it('customer messages arriving together reopen a closed conversation once, and a new customer gets one contact', async () => {
      const david = conversationOf('David Okafor');
      const secret = await sandboxSecretFor(s.db, s.demo.whatsapp.id, delivery);
      const inbound = (id: string, from: string, text: string) => ({
        id: `sbevt_${id}`,
        type: 'message' as const,
        timestamp: new Date().toISOString(),
        from,
        message: { id: `sandbox.in.${id}`, text },
      });
      const em = s.db.em.fork();
      const sessionsBefore = await em.count(ConversationSession, { conversationId: david.id });
      const results = await Promise.all([
        postSandboxWebhook(s.httpUrl, s.demo.whatsapp.id, secret, [inbound('david-1', '+2348012345678', 'One')]),
        postSandboxWebhook(s.httpUrl, s.demo.whatsapp.id, secret, [inbound('david-2', '+2348012345678', 'Two')]),
        postSandboxWebhook(s.httpUrl, s.demo.whatsapp.id, secret, [inbound('new-1', '+447400123456', 'Hi')]),
        postSandboxWebhook(s.httpUrl, s.demo.whatsapp.id, secret, [inbound('new-2', '+447400123456', 'Hello?')]),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        [200, 200, 200, 200],
      );

      const check = s.db.em.fork();
      const davids = await check.find(Message, { channelMessageId: { $in: ['sandbox.in.david-1', 'sandbox.in.david-2'] } });
      assert.deepEqual(new Set(davids.map((m) => m.conversationId)), new Set([david.id]));
      assert.equal(await check.count(ConversationSession, { conversationId: david.id }), sessionsBefore + 1);
      assert.equal(await check.count(DomainEvent, { conversationId: david.id, type: EventType.CONVERSATION_REOPENED }), 1);

      const identities = await check.find(ContactIdentity, { tenantId: s.demo.tenant.id, address: '+447400123456' });
      assert.equal(identities.length, 1);
      const newcomers = await check.find(Message, { channelMessageId: { $in: ['sandbox.in.new-1', 'sandbox.in.new-2'] } });
      assert.equal(newcomers.length, 2);
      assert.equal(new Set(newcomers.map((m) => m.conversationId)).size, 1, 'one conversation for the new customer');
      assert.equal(await check.count(Conversation, { contactId: identities[0].contactId }), 1);
    });

    it('inboxes expose their capabilities so a composer can adapt', async () => {
      const { inboxes } = await s.client().data(InboxCapabilitiesDocument);
      const whatsapp = inboxes.nodes.find((i) => i.id === s.demo.whatsapp.id)!;
      const sms = inboxes.nodes.find((i) => i.id === s.demo.sms.id)!;
      assert.deepEqual(
        {
          reactions: whatsapp.capabilities.reactions,
          readReceipts: whatsapp.capabilities.readReceipts,
          templates: whatsapp.capabilities.templates,
        },
        { reactions: true, readReceipts: true, templates: true },
      );
      assert.equal(whatsapp.capabilities.maxTextLength, 4096);
      assert.equal(whatsapp.capabilities.textLengthUnit, 'CODE_POINTS');
      assert.deepEqual(whatsapp.capabilities.contentKinds, ['TEXT', 'MEDIA', 'TEMPLATE', 'NOTE']);
      assert.deepEqual(
        whatsapp.capabilities.media.find((m) => m.kind === 'IMAGE'),
        { kind: 'IMAGE', maxBytes: 5 * 1024 * 1024, mimeTypes: ['image/jpeg', 'image/png'] },
      );
      assert.deepEqual(
        { reactions: sms.capabilities.reactions, readReceipts: sms.capabilities.readReceipts, templates: sms.capabilities.templates },
        { reactions: false, readReceipts: false, templates: false },
      );
      assert.equal(sms.capabilities.maxTextLength, 1600);
      assert.ok(!sms.capabilities.media.some((m) => m.kind === 'DOCUMENT'), 'SMS cannot send documents');
    });
  });
}
