import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { announceAccessChange } from '../src/modules/auth/access-changes';
import { issueToken, revokeToken } from '../src/modules/auth/token.service';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { EventType } from '../src/modules/event/event-type';
import { DomainEvent } from '../src/modules/event/event.entity';
import { encodeEventCursor } from '../src/modules/event/event-cursor';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Tenant } from '../src/modules/tenant/tenant.entity';
import { Message } from '../src/modules/message/message.entity';
import { StreamInboxEventsDocument, StreamSendTextDocument, type StreamInboxEventsSubscription } from './generated/graphql';
import type { GqlClient } from './helpers/client';
import { clusterUnavailable, REDIS_URL, startSecondInstance, type SecondInstance } from './helpers/cluster';
import { historyOf, postSandboxWebhook, sandboxSecretFor, sandboxStatusEvent, statusEvents } from './helpers/delivery';
import { startTestServer, type TestServer } from './helpers/server';
import { SubscriptionCollector, wsClient } from './helpers/subscriptions';

/** A cursor at the tenant's newest event: a subscription from it misses nothing that commits later. */
async function headCursor(s: TestServer): Promise<string> {
  const tenant = await s.db.em.fork().findOneOrFail(Tenant, { id: s.demo.tenant.id });
  return encodeEventCursor(Number(tenant.eventSeq));
}

type Streamed = StreamInboxEventsSubscription['inboxEvents'];

/** Rejects when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The window of the test's conversation shuts this long after it is set up (WhatsApp: 24 h after the customer's message). */
const SHUTS_IN_MS = 1500;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Two real instances (A and B) on one PostgreSQL database and one Redis: live events, access
 * changes and background work behave as if there were one server. A is API-only (no delivery
 * worker), so every send is delivered, and every provider callback applied, by B.
 */
describe('two instances on PostgreSQL and Redis', async () => {
  const why = await clusterUnavailable();
  if (why) {
    test(`SKIP cluster tests: ${why}`, () => undefined);
    return;
  }

  let a: TestServer;
  let b: SecondInstance;
  let windowConversation: Conversation;

  before(async () => {
    a = await startTestServer({
      dialect: 'postgres',
      config: { redisUrl: REDIS_URL, accessCheckIntervalMs: 0 },
      deliveryWorker: false,
    });
    windowConversation = await a.db.em
      .fork()
      .findOneOrFail(Conversation, { inboxId: a.demo.whatsapp.id }, { orderBy: { createdAt: 'asc' } });
    // B polls nothing either: a revoked token can only reach it through the Redis notice.
    b = await startSecondInstance(a, { accessCheckIntervalMs: 0, delivery: { ...a.config.delivery, runWorker: true } });
  });

  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('a subscriber on A sees a send made through B, and its statuses up to READ applied by B', async () => {
    const conversation = a.demo.conversations.find((c) => c.inboxId === a.demo.whatsapp.id && c.id !== windowConversation.id)!;
    const ws = wsClient(a.url, a.tokens.owner);
    // From the current head, so the send cannot slip in before the subscription is live.
    const sub = new SubscriptionCollector<StreamInboxEventsSubscription>(ws, StreamInboxEventsDocument, {
      inboxId: a.demo.whatsapp.id,
      after: await headCursor(a),
    });
    try {
      const sent = await b.client(a.tokens.owner).request(StreamSendTextDocument, { conversationId: conversation.id, body: 'from B' });
      assert.equal(sent.errors, undefined);
      const id = sent.data!.sendMessage.message.id;
      const added = await sub.waitFor((r) => {
        const e = r.data?.inboxEvents;
        return e?.__typename === 'MessageAddedEvent' && e.message.id === id;
      }, 10_000);
      assert.equal(
        (added.data!.inboxEvents as Extract<Streamed, { __typename: 'MessageAddedEvent' }>).message.content?.__typename,
        'TextContent',
      );
      const read = await sub.waitFor((r) => {
        const e = r.data?.inboxEvents;
        return e?.__typename === 'MessageStatusChangedEvent' && e.message.id === id && String(e.to) === 'READ';
      }, 15_000);
      assert.ok(read);
      // Every status A's subscriber saw for the message, in order, once each.
      const seen = sub.results
        .map((r) => r.data?.inboxEvents)
        .filter(
          (e): e is Extract<Streamed, { __typename: 'MessageStatusChangedEvent' }> =>
            e?.__typename === 'MessageStatusChangedEvent' && e.message.id === id,
        )
        .map((e) => e.to);
      assert.deepEqual(seen.map(String), ['SENT', 'DELIVERED', 'READ']);

      // Provider callbacks replayed to either instance, late and twice: applied once, never backwards.
      const message = await a.db.em.fork().findOneOrFail(Message, { id });
      const secret = await sandboxSecretFor(a.db, a.demo.whatsapp.id, a.config.delivery);
      const before = (await statusEvents(a.db, id)).length;
      const delivered = sandboxStatusEvent(message.channelMessageId!, DeliveryStatus.DELIVERED);
      const readAgain = sandboxStatusEvent(message.channelMessageId!, DeliveryStatus.READ);
      const answers = await Promise.all([
        postSandboxWebhook(a.httpUrl, a.demo.whatsapp.id, secret, [delivered, readAgain]),
        postSandboxWebhook(b.origin, a.demo.whatsapp.id, secret, [readAgain, delivered]),
      ]);
      assert.deepEqual(
        answers.map((x) => x.status),
        [200, 200],
      );
      const after = await a.db.em.fork().findOneOrFail(Message, { id });
      assert.equal(after.deliveryStatus, DeliveryStatus.READ);
      assert.deepEqual(historyOf(after), [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]);
      assert.equal((await statusEvents(a.db, id)).length, before);
    } finally {
      sub.stop();
      await ws.dispose();
    }
  });

  test('a client that reconnects to B resumes with after: and misses nothing sent meanwhile', async () => {
    const conversation = a.demo.conversations.find((c) => c.inboxId === a.demo.sms.id)!;
    const send = (s: { client(token: string): GqlClient }, body: string) =>
      s.client(a.tokens.owner).request(StreamSendTextDocument, { conversationId: conversation.id, body });
    const onA = wsClient(a.url, a.tokens.owner);
    const first = new SubscriptionCollector<StreamInboxEventsSubscription>(onA, StreamInboxEventsDocument, {
      inboxId: a.demo.sms.id,
      after: await headCursor(a),
    });
    const r1 = await send(a, 'one');
    const one = r1.data!.sendMessage.message.id;
    const seenOne = await first.waitFor((r) => {
      const e = r.data?.inboxEvents;
      return e?.__typename === 'MessageAddedEvent' && e.message.id === one;
    }, 10_000);
    const cursor = seenOne.data!.inboxEvents.cursor;
    first.stop();
    await onA.dispose();

    // Sent while the client is away, through both instances.
    const missed = [(await send(a, 'two')).data!.sendMessage.message.id, (await send(b, 'three')).data!.sendMessage.message.id];
    const onB = wsClient(b.url, a.tokens.owner);
    const resumed = new SubscriptionCollector<StreamInboxEventsSubscription>(onB, StreamInboxEventsDocument, {
      inboxId: a.demo.sms.id,
      after: cursor,
    });
    try {
      const live = (await send(b, 'four')).data!.sendMessage.message.id;
      await resumed.waitFor((r) => {
        const e = r.data?.inboxEvents;
        return e?.__typename === 'MessageAddedEvent' && e.message.id === live;
      }, 10_000);
      const added = resumed.results
        .map((r) => r.data?.inboxEvents)
        .filter((e): e is Extract<Streamed, { __typename: 'MessageAddedEvent' }> => e?.__typename === 'MessageAddedEvent')
        .map((e) => e.message.id);
      assert.deepEqual(added, [...missed, live]);
      const seqs = resumed.results.map((r) => r.data!.inboxEvents.cursor);
      assert.equal(new Set(seqs).size, seqs.length, 'no event delivered twice');
    } finally {
      resumed.stop();
      await onB.dispose();
    }
  });

  test('a token revoked through A closes its socket on B within a second (carried by Redis; neither instance polls)', async (t) => {
    const { token, record } = await issueToken(a.db.em.fork(), { tenantId: a.demo.tenant.id, userId: a.demo.agent.id, name: 'cluster' });
    let onClosed!: (code: number) => void;
    const closed = new Promise<number>((resolve) => (onClosed = resolve));
    let onConnected!: () => void;
    const connected = new Promise<void>((resolve) => (onConnected = resolve));
    const client = wsClient(b.url, token, {
      lazy: false,
      on: { connected: () => onConnected(), closed: (event) => onClosed((event as { code: number }).code) },
    });
    try {
      await connected;
      assert.equal(await revokeToken(a.db.em.fork(), a.demo.tenant.id, record.id), true);
      const startedAt = Date.now();
      await announceAccessChange(a.server.deps.pubsub);
      assert.equal(await within(closed, 1000, 'socket on B'), 4403);
      t.diagnostic(`closed ${Date.now() - startedAt} ms after the notice`);
    } finally {
      await client.dispose();
    }
  });

  test('exactly one instance leads, and a window that shuts produces one WINDOW_SHUT event, not two', async () => {
    assert.equal([a.server.leadership.leading, b.server.leadership.leading].filter(Boolean).length, 1);
    const ws = wsClient(b.url, a.tokens.owner);
    const sub = new SubscriptionCollector<StreamInboxEventsSubscription>(ws, StreamInboxEventsDocument, {
      inboxId: a.demo.whatsapp.id,
      after: await headCursor(a),
    });
    try {
      // The customer wrote 24 h ago minus a moment; both instances are told to look at the conversation.
      await a.db.em
        .fork()
        .nativeUpdate(Conversation, { id: windowConversation.id }, { lastInboundAt: new Date(Date.now() - DAY_MS + SHUTS_IN_MS) });
      await Promise.all([
        a.server.deps.windowScheduler.reschedule(windowConversation.id),
        b.server.deps.windowScheduler.reschedule(windowConversation.id),
      ]);
      await sub.waitFor((r) => {
        const e = r.data?.inboxEvents;
        return e?.__typename === 'WindowChangedEvent' && e.conversation.id === windowConversation.id && !e.opened;
      }, SHUTS_IN_MS + 10_000);
      await Promise.all([a.server.deps.windowScheduler.settled(), b.server.deps.windowScheduler.settled()]);
      const shut = await a.db.em.fork().find(DomainEvent, { conversationId: windowConversation.id, type: EventType.WINDOW_SHUT });
      assert.equal(shut.length, 1);
    } finally {
      sub.stop();
      await ws.dispose();
    }
  });

  test('the standby takes over the background work when the leader steps down', async () => {
    const [leader, standby] = a.server.leadership.leading ? [a.server, b.server] : [b.server, a.server];
    const taken = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (standby.leadership.leading) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    await leader.leadership.stop();
    await within(taken, 5000, 'standby taking over');
    assert.equal(leader.leadership.leading, false);
  });
});
