import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, BUILTIN_ADAPTERS } from '../../src/channels/adapter-registry';
import type { ChannelAdapter, OutboundMessage, SendContext, SendResult, SenderRateLimits } from '../../src/channels/channel-adapter';
import { SandboxCarrier } from '../../src/channels/sandbox/sandbox.carrier';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { OutboxDeliveryQueue } from '../../src/modules/delivery/delivery-queue';
import { DeliveryWorker } from '../../src/modules/delivery/delivery.worker';
import { Inbox } from '../../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import type { Message } from '../../src/modules/message/message.entity';
import { DeliverySendTextDocument, RetryMessageDocument, SimulateInboundDocument } from '../generated/graphql';
import { deferred, testDeliveryConfig, waitForMessage } from '../helpers/delivery';
import type { TestServer, TestServerOptions } from '../helpers/server';

const { SENT, FAILED } = DeliveryStatus;

/** One send as the provider side saw it. */
interface Receipt {
  messageId: string;
  to: string;
  at: number;
  answer: 'accepted' | 'failed' | 'rate_limited';
}

/**
 * Delivery rules, end to end through the sandbox provider with TWO delivery workers on one
 * database (the server's own is off): per-conversation send order, and per-sender throughput
 * limits that hold across workers. The sandbox adapter is wrapped to log every request with its
 * receive time, and to answer `#ratelimit` bodies once with a provider rate limit (Retry-After).
 */
export function registerDeliveryRulesSuite(name: string, start: (opts: TestServerOptions) => Promise<TestServer | null>): void {
  describe(name, () => {
    let s: TestServer;
    let skipped: string | null = null;
    const carrier = new SandboxCarrier();
    const delivery = testDeliveryConfig({ pollMs: 60_000, concurrency: 4 });
    const receipts: Receipt[] = [];
    const received = new Map<string, () => void>();
    const rateLimitedOnce = new Set<string>();
    const RETRY_AFTER_MS = 1500;
    let inboxId: string;
    let throttledInboxId: string;
    /** An inbox whose adapter declares a per-recipient limit like WhatsApp's pair limit, scaled up: 1/s, burst 2. */
    let pairLimitedInboxId: string;
    const PAIR_LIMITS: SenderRateLimits = { perSecond: 100, perRecipientPerSecond: 1, recipientBurst: 2 };
    const workers: DeliveryWorker[] = [];

    /** The sandbox adapter, logging what reaches the provider and answering `#ratelimit` once with a 429-style refusal. */
    const recording = (adapter: ChannelAdapter, rateLimits?: SenderRateLimits): ChannelAdapter =>
      Object.assign(Object.create(adapter) as ChannelAdapter, {
        rateLimits: rateLimits ?? adapter.rateLimits,
        async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
          const body = message.content.kind === 'text' ? message.content.body : '';
          const at = Date.now();
          if (body.includes('#ratelimit') && !rateLimitedOnce.has(message.id)) {
            rateLimitedOnce.add(message.id);
            receipts.push({ messageId: message.id, to: ctx.to, at, answer: 'rate_limited' });
            received.get(message.id)?.();
            return {
              ok: false,
              failure: {
                kind: 'temporary',
                code: 'rate_limited',
                reason: 'Too many messages',
                rateLimited: true,
                retryAfterMs: RETRY_AFTER_MS,
              },
            };
          }
          const result = await adapter.send(message, ctx);
          receipts.push({ messageId: message.id, to: ctx.to, at, answer: result.ok ? 'accepted' : 'failed' });
          received.get(message.id)?.();
          return result;
        },
      });

    before(async () => {
      const started = await start({
        sandbox: carrier,
        deliveryWorker: false,
        config: { delivery },
        beforeStart: async (db, demo) => {
          const em = db.em.fork();
          const make = (name: string, senderAddress: string, sendsPerSecond: number | null) =>
            em.create(Inbox, {
              tenantId: demo.tenant.id,
              name,
              channel: ChannelKind.WHATSAPP,
              provider: 'sandbox',
              senderAddress,
              windowHours: null,
              humanAgentWindowHours: null,
              sendsPerSecond,
              // Accepted = SENT; no callbacks, so only the worker moves these messages.
              providerConfig: { latencyMs: 0, failureRate: 0, statusCallbacks: [] },
              createdAt: new Date(),
            });
          const plain = make('Rules', '+14155550181', null);
          const throttled = make('Rules throttled', '+14155550182', 5);
          const pairLimited = make('Rules per recipient', '+14155550183', null);
          await em.flush();
          inboxId = plain.id;
          throttledInboxId = throttled.id;
          pairLimitedInboxId = pairLimited.id;
        },
      });
      if (!started) {
        skipped = 'database unavailable';
        return;
      }
      s = started;
      const registry = new AdapterRegistry(s.server.deps.channels.deps, {
        ...BUILTIN_ADAPTERS,
        sandbox: (inbox, deps) =>
          recording(BUILTIN_ADAPTERS.sandbox(inbox, deps), inbox.id === pairLimitedInboxId ? PAIR_LIMITS : undefined),
      });
      for (let i = 0; i < 2; i++) {
        const worker = new DeliveryWorker({
          db: s.db,
          pubsub: s.server.deps.pubsub,
          config: delivery,
          adapters: registry,
          queue: new OutboxDeliveryQueue(s.db, delivery.leaseMs, { settleMs: delivery.uncertainSettleMs, idempotentSends: () => true }),
        });
        worker.start();
        workers.push(worker);
      }
    });
    after(async () => {
      for (const w of workers) await w.stop();
      carrier.close();
      if (s) await s.close();
    });

    const it = (title: string, fn: () => Promise<void>) =>
      test(title, async (t) => {
        if (skipped) return t.skip(skipped);
        await fn();
      });
    let customer = 0;
    /** A new customer writing to `inbox`: their conversation id. */
    const conversationIn = async (inbox: string) =>
      (
        await s.client().data(SimulateInboundDocument, {
          inboxId: inbox,
          from: `+48500300${String(customer++).padStart(3, '0')}`,
          text: 'Hi',
          name: `Customer ${customer}`,
        })
      ).simulateInboundMessage.conversation.id;
    const send = async (conversationId: string, body: string) => {
      const { id } = (await s.client().data(DeliverySendTextDocument, { conversationId, body })).sendMessage.message;
      for (const w of workers) w.notify();
      return id;
    };
    const waitFor = (messageId: string, pred: (m: Message) => boolean) =>
      waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, messageId, pred);
    const settled = (ids: string[]) =>
      Promise.all(ids.map((id) => waitFor(id, (m) => m.deliveryStatus === SENT || m.deliveryStatus === FAILED)));
    const accepted = (ids: string[]) => {
      const wanted = new Set(ids);
      return receipts.filter((r) => wanted.has(r.messageId) && r.answer === 'accepted');
    };

    it('20 quick sends to one customer reach the provider in send order although the first fails twice', async () => {
      const conversation = await conversationIn(inboxId);
      const ids: string[] = [];
      ids.push(await send(conversation, 'Order 1 #fail:temporary:2'));
      for (let i = 2; i <= 20; i++) ids.push(await send(conversation, `Order ${i}`));
      await settled(ids);
      assert.equal(carrier.requestCount(ids[0]), 3, 'the first was tried three times');
      assert.deepEqual(
        accepted(ids).map((r) => ids.indexOf(r.messageId) + 1),
        ids.map((_, i) => i + 1),
        'the provider accepted them in the order they were sent',
      );
      const firstAccepted = accepted([ids[0]])[0].at;
      assert.ok(
        receipts.filter((r) => ids.slice(1).includes(r.messageId)).every((r) => r.at >= firstAccepted),
        'nothing later reached the provider while the first was waiting for its retry',
      );
    });

    it('a finally failed first message releases the rest, in order', async () => {
      const conversation = await conversationIn(inboxId);
      const ids: string[] = [];
      ids.push(await send(conversation, 'Doomed #fail:temporary'));
      for (let i = 2; i <= 6; i++) ids.push(await send(conversation, `After the doomed one ${i}`));
      const [first, ...rest] = await settled(ids);
      assert.equal(first.deliveryStatus, FAILED);
      assert.equal(carrier.requestCount(ids[0]), delivery.maxAttempts);
      assert.ok(rest.every((m) => m.deliveryStatus === SENT));
      assert.deepEqual(
        accepted(ids).map((r) => r.messageId),
        ids.slice(1),
      );
      const lastTry = Math.max(...receipts.filter((r) => r.messageId === ids[0]).map((r) => r.at));
      assert.ok(
        accepted(ids).every((r) => r.at >= lastTry),
        'the rest went only after the first finally failed',
      );
    });

    it("a send held by the provider holds back its conversation's next message, not another conversation", async () => {
      const a = await conversationIn(inboxId);
      const b = await conversationIn(inboxId);
      const { held, release } = holdTagged(carrier);
      try {
        const a1 = await send(a, 'A first #hold');
        await held.promise;
        const a2 = await send(a, 'A second');
        const b1 = await send(b, 'B first');
        await waitFor(b1, (m) => m.deliveryStatus === SENT);
        assert.equal(carrier.requestCount(a2), 0, "A's second message waits for its first");
        release.resolve();
        await settled([a1, a2]);
        assert.deepEqual(
          accepted([a1, a2]).map((r) => r.messageId),
          [a1, a2],
        );
      } finally {
        carrier.afterAccept = null;
        release.resolve();
      }
    });

    it('an inbox limited to 5 sends per second takes at least 2.8 s from the first to the 15th provider receipt', async () => {
      const conversations = [
        await conversationIn(throttledInboxId),
        await conversationIn(throttledInboxId),
        await conversationIn(throttledInboxId),
      ];
      const ids: string[] = [];
      for (let i = 0; i < 15; i++) ids.push(await send(conversations[i % 3], `Throttled ${i + 1}`));
      await settled(ids);
      const times = accepted(ids).map((r) => r.at);
      assert.equal(times.length, 15);
      const span = Math.max(...times) - Math.min(...times);
      // The slots are 200 ms apart; a receipt also carries the send path's own delay (claim, lookups,
      // HTTP), which on a shared 2-core machine varies by up to about one interval. Unthrottled, the
      // 15 arrive within a few hundred ms, so these bounds still fail without the limit.
      const JITTER = 200;
      assert.ok(span >= 14 * 200 - JITTER, `15 sends spread over ${span} ms`);
      const sorted = [...times].sort((x, y) => x - y);
      // Both workers together never exceed the rate: any 6 consecutive receipts span about 5 intervals.
      for (let i = 5; i < sorted.length; i++) assert.ok(sorted[i] - sorted[i - 5] >= 5 * 200 - JITTER, `receipts ${i - 5}..${i} too close`);
    });

    it("a provider's rate-limit answer delays the sender's other messages too", async () => {
      const a = await conversationIn(inboxId);
      const b = await conversationIn(inboxId);
      const limited = deferred();
      const a1 = await send(a, 'Slow down #ratelimit');
      received.set(a1, () => limited.resolve());
      // The answer may already have come before the hook was set.
      if (receipts.some((r) => r.messageId === a1)) limited.resolve();
      await limited.promise;
      const answeredAt = receipts.find((r) => r.messageId === a1 && r.answer === 'rate_limited')!.at;
      const b1 = await send(b, 'Another customer');
      await settled([a1, b1]);
      const [bReceipt] = accepted([b1]);
      const [aReceipt] = accepted([a1]);
      assert.ok(bReceipt.at - answeredAt >= RETRY_AFTER_MS - 50, `the other conversation waited ${bReceipt.at - answeredAt} ms`);
      assert.ok(aReceipt.at - answeredAt >= RETRY_AFTER_MS - 50, `the limited message waited ${aReceipt.at - answeredAt} ms`);
    });

    it("a per-recipient limit (1/s, burst 2) spaces one customer's sends but does not hold another customer's", async () => {
      const a = await conversationIn(pairLimitedInboxId);
      const b = await conversationIn(pairLimitedInboxId);
      const interval = 1000 / PAIR_LIMITS.perRecipientPerSecond!;
      const ids: string[] = [];
      for (let i = 1; i <= 6; i++) ids.push(await send(a, `Pair ${i}`));
      // B writes while A is in its spaced phase: its third message has reached the provider.
      const thirdIn = deferred();
      received.set(ids[2], () => thirdIn.resolve());
      if (receipts.some((r) => r.messageId === ids[2])) thirdIn.resolve();
      await thirdIn.promise;
      const bSentAt = Date.now();
      const bIds = [await send(b, 'Other customer 1'), await send(b, 'Other customer 2')];
      await settled([...ids, ...bIds]);

      const times = accepted(ids).map((r) => r.at);
      assert.deepEqual(
        accepted(ids).map((r) => r.messageId),
        ids,
        "A's messages reached the provider once each, in order",
      );
      // Two at once, then one per interval: six take at least four intervals.
      assert.ok(times[5] - times[0] >= 4 * interval - 50, `6 sends to one customer spread over ${times[5] - times[0]} ms`);
      for (let i = 2; i < times.length; i++) {
        assert.ok(
          times[i] - times[i - 2] >= interval - 50,
          `receipts ${i - 2}..${i} to one customer only ${times[i] - times[i - 2]} ms apart`,
        );
      }
      // B's own burst: both go at once. Sharing A's schedule would put B's second at least two intervals out.
      const bTimes = accepted(bIds).map((r) => r.at);
      assert.equal(bTimes.length, 2);
      assert.ok(
        bTimes[1] - bSentAt < interval,
        `the other customer's messages took ${bTimes[1] - bSentAt} ms ${JSON.stringify(receipts.filter((r) => ids.includes(r.messageId) || bIds.includes(r.messageId)).map((r) => [r.to, r.at - bSentAt, bIds.includes(r.messageId)]))}`,
      );
      assert.ok(bTimes[1] < times[5], "the other customer was served before A's last");
    });

    it("retrying an old FAILED message puts it behind the conversation's later messages, pending ones included, and delivers it", async () => {
      const conversation = await conversationIn(inboxId);
      // Fails all three tries of its first run; the retry's run is accepted.
      const old = await send(conversation, 'Old one #fail:temporary:3');
      const sentLater = await send(conversation, 'Sent after the old one failed');
      const [oldState] = await settled([old, sentLater]);
      assert.equal(oldState.deliveryStatus, FAILED);
      const { held, release } = holdTagged(carrier);
      let releasedAt = 0;
      try {
        const inFlight = await send(conversation, 'With the provider #hold');
        await held.promise;
        const pending = await send(conversation, 'Still pending');
        const retried = (await s.client().data(RetryMessageDocument, { messageId: old })).retryMessage.message;
        assert.equal(retried.deliveryStatus, 'PENDING');
        for (const w of workers) w.notify();
        releasedAt = Date.now();
        release.resolve();
        const [again] = await settled([old, inFlight, pending]);
        assert.equal(again.deliveryStatus, SENT, 'the retried message was delivered');
        assert.deepEqual(
          accepted([old, sentLater, inFlight, pending]).map((r) => r.messageId),
          [sentLater, inFlight, pending, old],
          'the provider accepted the retried message last',
        );
        const [oldAccepted] = accepted([old]);
        assert.ok(oldAccepted.at >= releasedAt, 'the retried message did not reach the provider while a later one was with it');
        assert.ok(oldAccepted.at >= accepted([pending])[0].at, 'nor before the later pending one');
      } finally {
        carrier.afterAccept = null;
        release.resolve();
      }
    });
  });
}

/**
 * Makes the sandbox provider hold each accepted text tagged `#hold` until `release` resolves
 * (`held` resolves when the first is with it): a send "with the provider" for as long as a test needs.
 * The caller clears `carrier.afterAccept` and resolves `release` when done.
 */
function holdTagged(carrier: SandboxCarrier): { held: ReturnType<typeof deferred<void>>; release: ReturnType<typeof deferred<void>> } {
  const held = deferred<void>();
  const release = deferred<void>();
  carrier.afterAccept = async (acc) => {
    if (acc.content.kind !== 'text' || !acc.content.body.includes('#hold')) return;
    held.resolve();
    await release.promise;
  };
  return { held, release };
}
