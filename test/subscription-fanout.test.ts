import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import type { LiveAuth } from '../src/graphql/live-auth';
import { issueToken, revokeToken } from '../src/modules/auth/token.service';
import { InboxMember } from '../src/modules/inbox/inbox-member.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Topics } from '../src/pubsub/pubsub';
import {
  FanoutMarkReadDocument,
  FanoutMessageAddedDocument,
  FanoutUnreadDocument,
  StreamMessageStatusChangedDocument,
} from './generated/graphql';
import { addMessage, setStatus } from './helpers/events';
import { startTestServer, type TestServer } from './helpers/server';
import { SubscriptionCollector, TrackingPubSub, wsClient } from './helpers/subscriptions';

/** The error a subscription ended with. */
async function failure<T>(sub: SubscriptionCollector<T>): Promise<GraphQLFormattedError> {
  const end = await sub.ending();
  assert.ok(Array.isArray(end.error), `expected an error, got ${JSON.stringify(end)}`);
  return end.error[0] as GraphQLFormattedError;
}

/** Resolves once `count` more connections have released their token (closed), however long that takes. */
function releases(live: LiveAuth, count: number, timeoutMs = 5000): Promise<void> {
  const original = live.release;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      live.release = original;
      reject(new Error(`only ${count - left} of ${count} connections released their token`));
    }, timeoutMs);
    let left = count;
    live.release = (key) => {
      original.call(live, key);
      if (--left === 0) {
        clearTimeout(timer);
        live.release = original;
        resolve();
      }
    };
  });
}

describe('subscription fan-out: one re-authentication per token and one execution per authorisation, per event', () => {
  const pubsub = new TrackingPubSub();
  const clients: Client[] = [];
  let s: TestServer;
  let topic: string;

  before(async () => {
    // No delivery worker: the only status events are the ones the tests record.
    s = await startTestServer({ pubsub, deliveryWorker: false });
    topic = Topics.tenant(s.demo.tenant.id);
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await s?.close();
  });

  /** A new websocket connection (each subscription below gets its own unless one is passed). */
  function connect(token: string): Client {
    const client = wsClient(s.url, token);
    clients.push(client);
    return client;
  }

  /** Subscribes and waits until the server listens, so the next event cannot be missed. */
  async function open<T, V extends Record<string, unknown>>(token: string, doc: TypedDocumentNode<T, V>, variables: V) {
    const count = pubsub.subscriptionsOpened(topic);
    const sub = new SubscriptionCollector<T>(connect(token), doc, variables);
    await pubsub.waitForOpened(topic, count);
    return sub;
  }

  /** What the server did for events so far: re-authentications, executions, shared results. */
  function counters() {
    const { liveAuth, sharedExecution } = s.server.deps;
    return { authentications: liveAuth.authentications, executions: sharedExecution.executions, reused: sharedExecution.reused };
  }

  function since(start: ReturnType<typeof counters>) {
    const now = counters();
    return {
      authentications: now.authentications - start.authentications,
      executions: now.executions - start.executions,
      reused: now.reused - start.reused,
    };
  }

  test('two connections with the same token: one authentication and one execution per event, each event re-read', async () => {
    const [anna] = s.demo.conversations;
    const { message } = await addMessage(s, anna, { text: 'fan-out', from: s.demo.agent });
    const vars = { inboxId: s.demo.whatsapp.id };
    const first = await open(s.tokens.owner, StreamMessageStatusChangedDocument, vars);
    const second = await open(s.tokens.owner, StreamMessageStatusChangedDocument, vars);

    for (const [status, name] of [
      [DeliveryStatus.SENT, 'SENT'],
      [DeliveryStatus.DELIVERED, 'DELIVERED'],
    ] as const) {
      const start = counters();
      await setStatus(s, message.id, status);
      const [a, b] = [await first.next(), await second.next()];
      assert.deepEqual(a, b);
      const got = a.data!.messageStatusChanged;
      assert.deepEqual([got.to, got.message.id, got.message.deliveryStatus], [name, message.id, name], 'fresh state per event');
      assert.deepEqual(since(start), { authentications: 1, executions: 1, reused: 1 }, name);
    }
    // Both connections close (lazy clients, no subscription left): the token's entry goes with the last.
    const live = s.server.deps.liveAuth;
    assert.equal(live.size, 1);
    const closed = releases(live, 2);
    first.stop();
    second.stop();
    await closed;
    assert.equal(live.size, 0);
  });

  test('a revoked token stops receiving on the next event, while another token’s connection keeps receiving', async () => {
    const [anna] = s.demo.conversations;
    const { message } = await addMessage(s, anna, { text: 'revocation', from: s.demo.agent });
    const issue = (name: string) => issueToken(s.db.em.fork(), { tenantId: s.demo.tenant.id, userId: s.demo.owner.id, name });
    const doomed = await issue('doomed');
    const kept = await issue('kept');
    const live = s.server.deps.liveAuth;
    const tokensBefore = live.size;
    const vars = { inboxId: s.demo.whatsapp.id };
    const a1 = await open(doomed.token, StreamMessageStatusChangedDocument, vars);
    const a2 = await open(doomed.token, StreamMessageStatusChangedDocument, vars);
    const b = await open(kept.token, StreamMessageStatusChangedDocument, vars);
    assert.equal(live.size, tokensBefore + 2, 'one shared entry per token, not per connection');

    let start = counters();
    await setStatus(s, message.id, DeliveryStatus.SENT);
    for (const sub of [a1, a2, b]) assert.equal((await sub.next()).data!.messageStatusChanged.to, 'SENT');
    // Same user and scopes through two tokens: two re-authentications, one execution.
    assert.deepEqual(since(start), { authentications: 2, executions: 1, reused: 2 });

    await revokeToken(s.db.em.fork(), s.demo.tenant.id, doomed.record.id);
    // The lazy clients close their sockets once their only subscription has ended.
    const closed = releases(live, 2);
    start = counters();
    await setStatus(s, message.id, DeliveryStatus.DELIVERED);
    for (const sub of [a1, a2]) {
      assert.equal((await failure(sub)).extensions?.code, 'UNAUTHENTICATED');
      assert.equal(sub.results.length, 1, 'nothing was delivered after the revocation');
    }
    const delivered = (await b.next()).data!.messageStatusChanged;
    assert.deepEqual([delivered.to, delivered.message.deliveryStatus], ['DELIVERED', 'DELIVERED']);
    assert.equal(since(start).authentications, 2, 'the revoked token was checked once for both of its connections');

    await closed;
    assert.equal(live.size, tokensBefore + 1, 'the revoked token’s entry went with its last connection');
    await setStatus(s, message.id, DeliveryStatus.READ);
    assert.equal((await b.next()).data!.messageStatusChanged.to, 'READ');
    b.stop();
  });

  test('different viewers are executed separately: the agent gets its own unread count, never the owner’s', async () => {
    const [anna] = s.demo.conversations;
    const owner = s.client(s.tokens.owner);
    const agent = s.client(s.tokens.agent);
    const latest = await addMessage(s, anna, { text: 'read up to here', from: 'customer' });
    await owner.data(FanoutMarkReadDocument, { conversationId: anna.id, lastMessageId: latest.message.id });
    const vars = { conversationId: anna.id };
    const owners = [
      await open(s.tokens.owner, FanoutMessageAddedDocument, vars),
      await open(s.tokens.owner, FanoutMessageAddedDocument, vars),
    ];
    const agents = await open(s.tokens.agent, FanoutMessageAddedDocument, vars);

    const start = counters();
    const { message } = await addMessage(s, anna, { text: 'new from the customer', from: 'customer' });
    const [o1, o2] = [await owners[0].next(), await owners[1].next()];
    const g = (await agents.next()).data!.messageAdded;
    assert.deepEqual(o1, o2);
    const o = o1.data!.messageAdded;
    assert.deepEqual([o.message.id, g.message.id], [message.id, message.id]);
    assert.equal(o.message.conversation.unreadCount, 1, 'the owner read everything before it');
    const agentUnread = (await agent.data(FanoutUnreadDocument, { id: anna.id })).conversation!.unreadCount;
    assert.equal(g.message.conversation.unreadCount, agentUnread, 'what the agent sees over HTTP');
    assert.notEqual(agentUnread, 1, 'the two viewers really differ here');
    assert.deepEqual(since(start), { authentications: 2, executions: 2, reused: 1 });

    // Losing sight of the conversation ends the agent's subscription only; the owners carry on.
    await s.db.em.fork().nativeDelete(InboxMember, { inboxId: s.demo.whatsapp.id, userId: s.demo.agent.id });
    const next = await addMessage(s, anna, { text: 'agent removed', from: 'customer' });
    assert.equal((await failure(agents)).extensions?.code, 'NOT_FOUND');
    assert.equal(agents.results.length, 1);
    for (const sub of owners) assert.equal((await sub.next()).data!.messageAdded.message.id, next.message.id);
    for (const sub of owners) sub.stop();
  });
});
