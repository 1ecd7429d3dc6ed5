import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import { loadConfig } from '../src/config';
import { issueToken, revokeToken } from '../src/modules/auth/token.service';
import { ChannelKind } from '../src/modules/channel/channel-kind';
import { Contact } from '../src/modules/contact/contact.entity';
import { ConversationStatus } from '../src/modules/conversation/conversation-status';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { encodeEventCursor } from '../src/modules/event/event-cursor';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import { InboxMember } from '../src/modules/inbox/inbox-member.entity';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Tenant } from '../src/modules/tenant/tenant.entity';
import { UserRole } from '../src/modules/user/user-role';
import { User } from '../src/modules/user/user.entity';
import { WindowScheduler, type SchedulerClock } from '../src/modules/window/window.scheduler';
import { Topics } from '../src/pubsub/pubsub';
import {
  StreamConversationUpdatedDocument,
  StreamInboxEventsDocument,
  StreamMessageAddedDocument,
  StreamMessageStatusChangedDocument,
  StreamReactionChangedDocument,
  StreamReassignDocument,
  StreamSendTextDocument,
  type StreamEventFragment,
  type StreamInboxEventsSubscription,
} from './generated/graphql';
import { addMessage, assign, react, setStatus } from './helpers/events';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { rawSocket, SubscriptionCollector, TrackingPubSub, wsClient } from './helpers/subscriptions';

const HOUR = 60 * 60 * 1000;

/** The seq inside a cursor (tests may look inside; clients must not). */
function seqOf(cursor: string): number {
  const m = /^evt:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  assert.ok(m, `not an event cursor: ${cursor}`);
  return Number(m[1]);
}

async function head(s: TestServer, tenantId: string): Promise<number> {
  const tenant = await s.db.em.fork().findOneOrFail(Tenant, { id: tenantId });
  return Number(tenant.eventSeq);
}

/** The error a refused or ended subscription reported: an `error` message, or errors in a `next`. */
async function failure(sub: SubscriptionCollector<any>): Promise<GraphQLFormattedError> {
  const end = await sub.ending();
  if (Array.isArray(end.error)) return end.error[0] as GraphQLFormattedError;
  const withErrors = sub.results.find((r) => r.errors?.length);
  assert.ok(withErrors, `expected an error, got ${JSON.stringify({ end, results: sub.results })}`);
  return withErrors.errors![0] as GraphQLFormattedError;
}

/** A conversation row with every column set (the ones a test does not care about get neutral values). */
function conversationRow(row: Pick<Conversation, 'tenantId' | 'inboxId' | 'contactId' | 'channel' | 'externalId'> & Partial<Conversation>) {
  const now = new Date();
  return {
    name: null,
    status: ConversationStatus.OPEN,
    assigneeId: null,
    currentSessionId: null,
    createdAt: now,
    updatedAt: now,
    lastActivityAt: now,
    lastMessageAt: null,
    lastMessageId: null,
    lastMessagePreview: null,
    lastMessageSender: null,
    lastInboundAt: null,
    ...row,
  };
}

function event(result: { data?: StreamInboxEventsSubscription | null }): StreamEventFragment {
  assert.ok(result.data, JSON.stringify(result));
  return result.data.inboxEvents;
}

/** Everything a suite needs: a server on an observable pub/sub, and a way to open live subscriptions. */
function harness(options: Parameters<typeof startTestServer>[0] = {}) {
  const pubsub = new TrackingPubSub();
  const clients: Client[] = [];
  const ctx = {
    s: null as unknown as TestServer,
    pubsub,
    topic: '',
    /** Why the suite cannot run (PostgreSQL not reachable), or null. */
    skipped: null as string | null,
    /** A test that is skipped, not failed, when the database is unavailable. */
    it(title: string, fn: () => Promise<void>) {
      test(title, async (t) => {
        if (ctx.skipped) return t.skip(ctx.skipped);
        await fn();
      });
    },
    client(token: string | null): Client {
      const client = wsClient(ctx.s.url, token);
      clients.push(client);
      return client;
    },
    /** Subscribes and waits until the server really listens, so events produced next cannot be missed. */
    async open<T>(token: string, doc: TypedDocumentNode<any, any> | string, variables?: Record<string, unknown>, client?: Client) {
      const count = pubsub.subscriptionsOpened(ctx.topic);
      const sub = new SubscriptionCollector<T>(client ?? ctx.client(token), doc, variables);
      await pubsub.waitForOpened(ctx.topic, count);
      return sub;
    },
  };
  before(async () => {
    if (options.dialect === 'postgres') ctx.skipped = await postgresUnavailable();
    if (ctx.skipped) return;
    ctx.s = await startTestServer({ ...options, pubsub });
    ctx.topic = Topics.tenant(ctx.s.demo.tenant.id);
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await ctx.s?.close();
  });
  return ctx;
}

type Harness = ReturnType<typeof harness>;

/** Disconnect, miss events, resume with the last cursor while more are written: every event exactly once. */
async function resumeExactlyOnce(h: Harness): Promise<void> {
  const { s, pubsub, topic } = h;
  const [anna] = s.demo.conversations;
  const baseline = pubsub.subscriberCount(topic);
  const start = await head(s, s.demo.tenant.id);
  const first = h.client(s.tokens.owner);
  const sub1 = await h.open<StreamInboxEventsSubscription>(
    s.tokens.owner,
    StreamInboxEventsDocument,
    { after: encodeEventCursor(start) },
    first,
  );
  for (let i = 0; i < 3; i++) await addMessage(s, anna, { text: `before ${i}`, from: s.demo.agent });
  const r1 = event(await sub1.next());
  const r2 = event(await sub1.next());
  // The client processed two events, then its connection dropped.
  await first.dispose();
  await pubsub.waitFor(topic, (n) => n <= baseline);

  for (let i = 0; i < 3; i++) await addMessage(s, anna, { text: `while away ${i}`, from: s.demo.agent });
  const second = h.client(s.tokens.owner);
  const sub2 = new SubscriptionCollector<StreamInboxEventsSubscription>(second, StreamInboxEventsDocument, { after: r2.cursor });
  // Keep writing while the resume (replay, then live) is in progress.
  for (let i = 0; i < 6; i++) await addMessage(s, anna, { text: `during ${i}`, from: s.demo.agent });
  const last = await head(s, s.demo.tenant.id);
  await sub2.waitFor((r) => seqOf(event(r).cursor) === last, 10_000);
  const resumed = sub2.results.map((r) => seqOf(event(r).cursor));
  const expected = Array.from({ length: last - seqOf(r2.cursor) }, (_, i) => seqOf(r2.cursor) + 1 + i);
  assert.deepEqual(resumed, expected, 'every event after the cursor, once, in order');
  assert.equal(seqOf(r1.cursor) + 1, seqOf(r2.cursor));
  sub2.stop();
  await pubsub.waitFor(topic, (n) => n <= baseline, 5000);
}

/** Prune the oldest events, resume from before them: ResyncRequired, then live; the oldest cursor still resumes. */
async function resyncAfterPrune(h: Harness): Promise<void> {
  const { s } = h;
  const [anna] = s.demo.conversations;
  const old1 = await addMessage(s, anna, { text: 'old 1', from: s.demo.agent });
  const old2 = await addMessage(s, anna, { text: 'old 2', from: s.demo.agent });
  const kept = await addMessage(s, anna, { text: 'kept', from: s.demo.agent });
  const longAgo = new Date(Date.now() - (s.config.eventRetentionHours + 1) * HOUR);
  // Everything up to old2 (earlier tests' events too) is now past retention.
  const expired = { tenantId: s.demo.tenant.id, seq: { $lte: Number(old2.event.seq) } };
  const expiring = await s.db.em.fork().count(DomainEvent, expired);
  await s.db.em.fork().nativeUpdate(DomainEvent, expired, { createdAt: longAgo });
  assert.equal(await s.server.deps.retention.runOnce(), expiring);
  assert.equal(await s.db.em.fork().count(DomainEvent, expired), 0);
  assert.equal(await s.db.em.fork().count(DomainEvent, { id: kept.event.id }), 1);

  const stale = await h.open<StreamInboxEventsSubscription>(s.tokens.owner, StreamInboxEventsDocument, {
    after: encodeEventCursor(Number(old1.event.seq) - 1),
  });
  const resync = event(await stale.next());
  assert.ok(resync.__typename === 'ResyncRequiredEvent');
  assert.equal(resync.type, 'RESYNC_REQUIRED');
  assert.equal(resync.reason, 'CURSOR_EXPIRED');
  assert.equal(resync.oldestCursor, encodeEventCursor(Number(kept.event.seq) - 1));
  assert.equal(resync.cursor, encodeEventCursor(Number(kept.event.seq)), 'resume point: the head when it resynced');
  const live = await addMessage(s, anna, { text: 'after resync', from: s.demo.agent });
  assert.equal(event(await stale.next()).cursor, encodeEventCursor(Number(live.event.seq)));
  stale.stop();

  // The oldest resumable cursor still works: nothing is missing after it.
  const fine = new SubscriptionCollector<StreamInboxEventsSubscription>(h.client(s.tokens.owner), StreamInboxEventsDocument, {
    after: resync.oldestCursor,
  });
  assert.deepEqual(
    [event(await fine.next()).cursor, event(await fine.next()).cursor],
    [kept, live].map((m) => encodeEventCursor(Number(m.event.seq))),
  );
  fine.stop();
}
/** Many transactions appending at once (publishes may arrive out of order): one resuming subscriber sees seq order, no gaps, no repeats. */
async function concurrentWritersInOrder(h: Harness): Promise<void> {
  const { s } = h;
  const conversations = s.demo.conversations.filter((c) => c.inboxId === s.demo.whatsapp.id).slice(0, 4);
  const start = await head(s, s.demo.tenant.id);
  const sub = new SubscriptionCollector<StreamInboxEventsSubscription>(h.client(s.tokens.owner), StreamInboxEventsDocument, {
    after: encodeEventCursor(start),
  });
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      addMessage(s, conversations[i % conversations.length], { text: `burst ${i}`, from: s.demo.agent }),
    ),
  );
  const last = await head(s, s.demo.tenant.id);
  assert.equal(last - start, 12);
  await sub.waitFor((r) => seqOf(event(r).cursor) === last, 10_000);
  assert.deepEqual(
    sub.results.map((r) => seqOf(event(r).cursor)),
    Array.from({ length: 12 }, (_, i) => start + 1 + i),
  );
  sub.stop();
}

/** Several firings of the same window change at once (several servers, a rescan racing a timer) record it once. */
async function concurrentShutOnce(h: Harness): Promise<void> {
  const { s } = h;
  const chloe = s.demo.conversations[2];
  const shutAt = new Date(Date.now() - 1000);
  await addMessage(s, chloe, { text: 'long ago', from: 'customer', at: new Date(shutAt.getTime() - 24 * HOUR) });
  const results = await Promise.all(Array.from({ length: 5 }, () => s.server.deps.windowScheduler.shutIfDue(chloe.id, shutAt)));
  assert.equal(results.filter(Boolean).length, 1);
  assert.equal(await s.db.em.fork().count(DomainEvent, { conversationId: chloe.id, type: EventType.WINDOW_SHUT }), 1);
}

describe('inboxEvents and the typed subscriptions', () => {
  const h = harness();

  test('events arrive in log order with cursor, actor, causation and fresh entity state', async () => {
    const { s } = h;
    const [anna] = s.demo.conversations;
    const sub = await h.open<StreamInboxEventsSubscription>(s.tokens.owner, StreamInboxEventsDocument);

    const added = await addMessage(s, anna, { text: 'On my way', from: s.demo.agent, clientMessageId: 'client-42' });
    const sent = await setStatus(s, added.message.id, DeliveryStatus.SENT);
    const reaction = await react(s, added.message.id, s.demo.owner, '👍');
    const assigned = await assign(s, anna.id, s.demo.admin, s.demo.owner);
    const inbound = await addMessage(s, anna, { text: 'See you', from: 'customer' });

    const got: StreamEventFragment[] = [];
    for (let i = 0; i < 5; i++) got.push(event(await sub.next()));
    assert.deepEqual(
      got.map((e) => e.cursor),
      [added.event, sent, reaction, assigned, inbound.event].map((e) => encodeEventCursor(Number(e.seq))),
    );
    assert.ok(got.every((e, i) => i === 0 || seqOf(e.cursor) > seqOf(got[i - 1].cursor)));

    const [m, st, rx, asg, inb] = got;
    assert.equal(m.__typename, 'MessageAddedEvent');
    assert.equal(m.type, 'MESSAGE_ADDED');
    assert.equal(m.causationId, 'client-42');
    assert.equal(m.actorType, 'USER');
    assert.deepEqual(m.actor, { __typename: 'User', id: s.demo.agent.id, name: 'Alice Agent' });
    assert.ok(m.__typename === 'MessageAddedEvent' && m.message.id === added.message.id && m.message.clientMessageId === 'client-42');
    assert.ok(
      m.__typename === 'MessageAddedEvent' && m.message.content?.__typename === 'TextContent' && m.message.content.body === 'On my way',
    );

    assert.ok(st.__typename === 'MessageStatusChangedEvent');
    assert.equal(st.from, 'PENDING');
    assert.equal(st.to, 'SENT');
    assert.equal(st.actorType, 'SYSTEM');
    assert.equal(st.actor, null);

    assert.ok(rx.__typename === 'ReactionChangedEvent');
    assert.equal(rx.emoji, '👍');
    assert.equal(rx.removed, false);
    assert.equal(rx.reaction?.emoji, '👍');

    assert.ok(asg.__typename === 'ConversationUpdatedEvent');
    assert.equal(asg.change, 'ASSIGNED');
    assert.equal(asg.conversation.assignee?.id, s.demo.admin.id);

    assert.ok(inb.__typename === 'MessageAddedEvent');
    assert.equal(inb.actorType, 'CUSTOMER');
    assert.deepEqual(inb.actor, { __typename: 'Contact', id: anna.contactId, contactName: 'Anna Kowalska' });
    assert.ok(Date.parse(inb.occurredAt) >= Date.parse(m.occurredAt));
    sub.stop();
  });

  test('each event is resolved in a fresh context: entity fields are re-read for every event', async () => {
    const { s } = h;
    const [anna] = s.demo.conversations;
    const { message } = await addMessage(s, anna, { text: 'status please', from: s.demo.agent });
    const sub = await h.open<{ messageStatusChanged: { to: string; message: { deliveryStatus: string } } }>(
      s.tokens.owner,
      StreamMessageStatusChangedDocument,
      {
        conversationId: anna.id,
      },
    );
    const seen = [];
    for (const status of [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]) {
      await setStatus(s, message.id, status);
      seen.push((await sub.next()).data!.messageStatusChanged);
    }
    // The message is loaded again for every event: an identity map kept across events would have
    // gone on showing the status it loaded first.
    assert.deepEqual(
      seen.map((e) => [e.to, e.message.deliveryStatus]),
      [
        ['SENT', 'SENT'],
        ['DELIVERED', 'DELIVERED'],
        ['READ', 'READ'],
      ],
    );
    sub.stop();
  });

  test('typed subscriptions deliver only their kind of event in their conversation or inbox', async () => {
    const { s } = h;
    const [anna, bruno] = s.demo.conversations;
    const george = s.demo.conversations.find((c) => c.inboxId === s.demo.sms.id)!;
    const client = h.client(s.tokens.owner);
    const added = await h.open<{ messageAdded: { message: { id: string } } }>(
      s.tokens.owner,
      StreamMessageAddedDocument,
      { conversationId: anna.id },
      client,
    );
    const statuses = await h.open<{ messageStatusChanged: { message: { id: string } } }>(
      s.tokens.owner,
      StreamMessageStatusChangedDocument,
      { inboxId: s.demo.whatsapp.id },
      client,
    );
    const updates = await h.open<{ conversationUpdated: { change: string; conversation: { id: string } } }>(
      s.tokens.owner,
      StreamConversationUpdatedDocument,
      { inboxId: s.demo.whatsapp.id },
      client,
    );
    const reactions = await h.open<{ reactionChanged: { emoji: string; message: { id: string } } }>(
      s.tokens.owner,
      StreamReactionChangedDocument,
      { conversationId: anna.id },
      client,
    );

    const smsMessage = await addMessage(s, george, { text: 'sms', from: s.demo.smsAgent });
    await setStatus(s, smsMessage.message.id, DeliveryStatus.SENT); // other inbox: not for `statuses`
    await addMessage(s, bruno, { text: 'not Anna', from: s.demo.agent }); // other conversation: not for `added`
    await assign(s, george.id, s.demo.smsAgent, s.demo.owner); // other inbox: not for `updates`
    const mine = await addMessage(s, anna, { text: 'for Anna', from: s.demo.agent });
    await react(s, smsMessage.message.id, s.demo.owner, '🎉'); // other conversation: not for `reactions`
    await setStatus(s, mine.message.id, DeliveryStatus.SENT);
    await react(s, mine.message.id, s.demo.owner, '🔥');
    await assign(s, anna.id, s.demo.agent, s.demo.owner);

    assert.equal((await added.next()).data!.messageAdded.message.id, mine.message.id);
    assert.equal((await statuses.next()).data!.messageStatusChanged.message.id, mine.message.id);
    const reaction = (await reactions.next()).data!.reactionChanged;
    assert.deepEqual([reaction.emoji, reaction.message.id], ['🔥', mine.message.id]);
    const update = (await updates.next()).data!.conversationUpdated;
    assert.deepEqual([update.change, update.conversation.id], ['ASSIGNED', anna.id]);
    for (const sub of [added, statuses, updates, reactions]) sub.stop();
  });

  h.it(
    'a client that disconnects resumes with `after` and sees every event exactly once, even with events produced while it reconnects',
    () => resumeExactlyOnce(h),
  );
  h.it('concurrent writers: a resuming subscriber still gets every event once, in seq order', () => concurrentWritersInOrder(h));

  test('an invalid cursor is BAD_USER_INPUT naming `after`', async () => {
    const { s } = h;
    for (const bad of [
      'garbage!',
      Buffer.from('evt:-1').toString('base64url'),
      Buffer.from('["messages","x"]').toString('base64url'),
      Buffer.from('evt:01').toString('base64url'),
    ]) {
      const sub = new SubscriptionCollector(h.client(s.tokens.owner), StreamInboxEventsDocument, { after: bad });
      const error = await failure(sub);
      assert.equal(error.extensions?.code, 'BAD_USER_INPUT', bad);
      assert.deepEqual(
        (error.extensions?.fields as { field: string }[]).map((f) => f.field),
        ['after'],
      );
    }
  });

  test('visibility: agents get NOT_FOUND for conversations and inboxes they cannot see; missing scope is FORBIDDEN', async () => {
    const { s } = h;
    const george = s.demo.conversations.find((c) => c.inboxId === s.demo.sms.id)!;
    const cases: [string, unknown, Record<string, unknown>, string][] = [
      [s.tokens.agent, StreamMessageAddedDocument, { conversationId: george.id }, 'NOT_FOUND'],
      [s.tokens.agent, StreamReactionChangedDocument, { conversationId: george.id }, 'NOT_FOUND'],
      [s.tokens.agent, StreamInboxEventsDocument, { inboxId: s.demo.sms.id }, 'NOT_FOUND'],
      [s.tokens.agent, StreamMessageAddedDocument, { conversationId: 'cnv_nope' }, 'BAD_USER_INPUT'],
      [s.tokens.owner, StreamMessageAddedDocument, { conversationId: george.id, inboxId: s.demo.sms.id }, 'BAD_USER_INPUT'],
      [await s.token('owner', []), StreamInboxEventsDocument, {}, 'FORBIDDEN'],
    ];
    for (const [token, doc, variables, code] of cases) {
      const sub = new SubscriptionCollector(h.client(token), doc as never, variables);
      assert.equal((await failure(sub)).extensions?.code, code, JSON.stringify(variables));
    }
  });

  test('another tenant cannot subscribe to this tenant’s conversations and never receives its events', async () => {
    const { s } = h;
    const [anna] = s.demo.conversations;
    const em = s.db.em.fork();
    const tenant = em.create(Tenant, { name: 'Other Co', createdAt: new Date(), eventSeq: 0 });
    const owner = em.create(User, {
      tenantId: tenant.id,
      name: 'Oscar Other',
      email: 'oscar@other.test',
      role: UserRole.OWNER,
      bot: false,
      active: true,
      createdAt: new Date(),
    });
    const inbox = em.create(Inbox, {
      tenantId: tenant.id,
      name: 'Other WA',
      channel: ChannelKind.WHATSAPP,
      provider: 'sandbox',
      senderAddress: '+15550000001',
      windowHours: null,
      humanAgentWindowHours: null,
      providerConfig: {},
      createdAt: new Date(),
    });
    const contact = em.create(Contact, { tenantId: tenant.id, name: 'Zed', createdAt: new Date() });
    const theirs = em.create(
      Conversation,
      conversationRow({
        tenantId: tenant.id,
        inboxId: inbox.id,
        contactId: contact.id,
        channel: ChannelKind.WHATSAPP,
        externalId: '+15550000002',
      }),
    );
    await em.flush();
    const { token } = await issueToken(s.db.em.fork(), { tenantId: tenant.id, userId: owner.id, name: 'other' });

    const refused = new SubscriptionCollector(h.client(token), StreamMessageAddedDocument, { conversationId: anna.id });
    assert.equal((await failure(refused)).extensions?.code, 'NOT_FOUND');
    const refusedInbox = new SubscriptionCollector(h.client(token), StreamInboxEventsDocument, { inboxId: s.demo.whatsapp.id });
    assert.equal((await failure(refusedInbox)).extensions?.code, 'NOT_FOUND');

    const theirTopic = Topics.tenant(tenant.id);
    const stream = new SubscriptionCollector<StreamInboxEventsSubscription>(h.client(token), StreamInboxEventsDocument, {});
    await h.pubsub.waitForOpened(theirTopic, 0);
    await addMessage(s, anna, { text: 'tenant A only', from: s.demo.agent });
    const own = await addMessage(s, theirs, { text: 'tenant B', from: 'customer' });
    const first = event(await stream.next());
    assert.equal(first.__typename === 'MessageAddedEvent' && first.message.id, own.message.id, 'the first event B sees is its own');
    stream.stop();
  });

  test('an agent removed from an inbox stops receiving its events; a revoked token ends the stream', async () => {
    const { s } = h;
    const [anna] = s.demo.conversations;
    const george = s.demo.conversations.find((c) => c.inboxId === s.demo.sms.id)!;
    const em = s.db.em.fork();
    em.create(InboxMember, { tenantId: s.demo.tenant.id, inboxId: s.demo.sms.id, userId: s.demo.agent.id, createdAt: new Date() });
    await em.flush();
    const { token, record } = await issueToken(s.db.em.fork(), { tenantId: s.demo.tenant.id, userId: s.demo.agent.id, name: 'agent-ws' });
    const client = h.client(token);
    const everything = await h.open<StreamInboxEventsSubscription>(token, StreamInboxEventsDocument, {}, client);
    const annaOnly = await h.open<{ messageAdded: { message: { id: string } } }>(
      token,
      StreamMessageAddedDocument,
      { conversationId: anna.id },
      client,
    );

    const before = await addMessage(s, anna, { text: 'still a member', from: 'customer' });
    assert.equal((await annaOnly.next()).data!.messageAdded.message.id, before.message.id);
    assert.equal(event(await everything.next()).cursor, encodeEventCursor(Number(before.event.seq)));

    await s.db.em.fork().nativeDelete(InboxMember, { inboxId: s.demo.whatsapp.id, userId: s.demo.agent.id });
    await addMessage(s, anna, { text: 'after removal', from: 'customer' });
    const sms = await addMessage(s, george, { text: 'sms inbox', from: 'customer' });
    assert.equal((await failure(annaOnly)).extensions?.code, 'NOT_FOUND', 'the conversation subscription ends');
    const next = event(await everything.next());
    assert.equal(next.cursor, encodeEventCursor(Number(sms.event.seq)), 'the WhatsApp event was not delivered');

    await revokeToken(s.db.em.fork(), s.demo.tenant.id, record.id);
    await addMessage(s, george, { text: 'after revocation', from: 'customer' });
    assert.equal((await failure(everything)).extensions?.code, 'UNAUTHENTICATED');
    assert.equal(everything.results.length, 2, 'nothing was delivered after the revocation');
  });

  test('operations over the socket are held to the HTTP validation rules and limits', async () => {
    const { s } = h;
    let deep = 'id';
    for (let i = 0; i < 7; i++) deep = `conversation { lastMessage { ${deep} } }`;
    const cases: [string, string][] = [
      [`subscription { inboxEvents { ... on MessageAddedEvent { message { ${deep} } } } }`, 'QUERY_TOO_COMPLEX'],
      ['subscription { inboxEvents { nope } }', 'GRAPHQL_VALIDATION_FAILED'],
      ['subscription { inboxEvents { ', 'GRAPHQL_PARSE_FAILED'],
      ['subscription ($c: ID!) { messageAdded(conversationId: $c) { cursor } }', 'BAD_USER_INPUT'],
    ];
    for (const [query, code] of cases) {
      const sub = new SubscriptionCollector(h.client(s.tokens.owner), query);
      assert.equal((await failure(sub)).extensions?.code, code, query);
    }
  });

  test('end to end through sendMessage, reassignConversation and the delivery worker', async () => {
    const { s } = h;
    const farah = s.demo.conversations[5];
    const start = await head(s, s.demo.tenant.id);
    const sub = await h.open<StreamInboxEventsSubscription>(s.tokens.admin, StreamInboxEventsDocument, {
      after: encodeEventCursor(start),
      inboxId: s.demo.whatsapp.id,
    });
    const admin = s.client(s.tokens.admin);
    const sent = await admin.data(StreamSendTextDocument, {
      conversationId: farah.id,
      body: 'Hello from the test',
      clientMessageId: 'e2e-1',
    });
    const added = event(await sub.waitFor((r) => event(r).__typename === 'MessageAddedEvent' && event(r).causationId === 'e2e-1'));
    assert.deepEqual([added.actorType, added.actor], ['USER', { __typename: 'User', id: s.demo.admin.id, name: 'Adam Admin' }]);
    assert.ok(added.__typename === 'MessageAddedEvent' && added.message.id === sent.sendMessage.message.id);
    const status = event(
      await sub.waitFor((r) => {
        const e = event(r);
        return e.__typename === 'MessageStatusChangedEvent' && e.message.id === sent.sendMessage.message.id && e.to === 'SENT';
      }, 10_000),
    );
    assert.ok(status.__typename === 'MessageStatusChangedEvent' && status.from === 'PENDING');
    await s.client(s.tokens.owner).data(StreamReassignDocument, { conversationId: farah.id, userId: s.demo.admin.id });
    const reassigned = event(await sub.waitFor((r) => event(r).__typename === 'ConversationUpdatedEvent'));
    assert.ok(
      reassigned.__typename === 'ConversationUpdatedEvent' &&
        reassigned.change === 'ASSIGNED' &&
        reassigned.conversation.assignee?.id === s.demo.admin.id,
    );
    const cursors = sub.results.map((r) => seqOf(event(r).cursor));
    assert.deepEqual(
      cursors,
      [...cursors].sort((a, b) => a - b),
    );
    assert.equal(new Set(cursors).size, cursors.length);
    sub.stop();
  });
});

describe('websocket connection rules', () => {
  const h = harness({ config: { connectionInitWaitTimeout: 200, maxSubscriptionsPerConnection: 3 } });

  test('no token closes with 4401, a bad or expired token with 4403; the client sees the close code', async () => {
    const { s } = h;
    const expired = await s.token('owner', [], { expiresAt: new Date(Date.now() - 1000) });
    const cases: [Record<string, unknown>, number][] = [
      [{}, 4401],
      [{ authorization: '' }, 4401],
      [{ authorization: 'Bearer sb_not_a_real_token' }, 4403],
      [{ Authorization: 'Basic abc' }, 4403],
      [{ authorization: `Bearer ${expired}` }, 4403],
    ];
    for (const [payload, code] of cases) {
      const { socket, opened, closed } = rawSocket(s.url);
      await opened;
      socket.send(JSON.stringify({ type: 'connection_init', payload }));
      const { code: got } = await closed;
      assert.equal(got, code, JSON.stringify(payload));
    }
    const anonymous = new SubscriptionCollector(wsClient(s.url, null), StreamInboxEventsDocument, {});
    const end = await anonymous.ending();
    assert.equal((end.error as { code?: number }).code, 4401);
  });

  test('a socket that never sends connection_init is closed after the configured timeout', async () => {
    const { s } = h;
    const { opened, closed } = rawSocket(s.url);
    await opened;
    const started = Date.now();
    const { code } = await closed;
    const waited = Date.now() - started;
    assert.equal(code, 4408);
    assert.ok(waited >= 150 && waited < 2500, `closed after ${waited} ms`);
  });

  test('a connection runs at most maxSubscriptionsPerConnection operations at once', async () => {
    const { s, pubsub, topic } = h;
    const [anna] = s.demo.conversations;
    const client = h.client(s.tokens.owner);
    const open = [];
    for (let i = 0; i < 3; i++)
      open.push(await h.open<StreamInboxEventsSubscription>(s.tokens.owner, StreamInboxEventsDocument, {}, client));
    const refused = new SubscriptionCollector(client, StreamInboxEventsDocument, {});
    const error = await failure(refused);
    assert.equal(error.extensions?.code, 'RATE_LIMITED');
    assert.equal(error.extensions?.limit, 3);

    const count = pubsub.subscriberCount(topic);
    open.pop()!.stop();
    await pubsub.waitFor(topic, (n) => n < count);
    const accepted = await h.open<StreamInboxEventsSubscription>(s.tokens.owner, StreamInboxEventsDocument, {}, client);
    const { event: e } = await addMessage(s, anna, { text: 'room again', from: s.demo.agent });
    assert.equal(event(await accepted.next()).cursor, encodeEventCursor(Number(e.seq)));
  });
});

describe('retention and resync', () => {
  const h = harness();

  h.it('a cursor older than retention yields ResyncRequired, then the stream carries on live', () => resyncAfterPrune(h));

  test('a cursor ahead of the log (another workspace’s) yields ResyncRequired CURSOR_UNKNOWN', async () => {
    const { s } = h;
    const now = await head(s, s.demo.tenant.id);
    const sub = new SubscriptionCollector<StreamInboxEventsSubscription>(h.client(s.tokens.owner), StreamInboxEventsDocument, {
      after: encodeEventCursor(now + 1000),
    });
    const resync = event(await sub.next());
    assert.ok(resync.__typename === 'ResyncRequiredEvent' && resync.reason === 'CURSOR_UNKNOWN');
    assert.equal(resync.cursor, encodeEventCursor(now));
    sub.stop();
  });

  test('retention comes from EVENT_RETENTION_HOURS (default 168)', () => {
    assert.equal(loadConfig({}).eventRetentionHours, 168);
    assert.equal(loadConfig({ EVENT_RETENTION_HOURS: '24' }).eventRetentionHours, 24);
    assert.throws(() => loadConfig({ EVENT_RETENTION_HOURS: 'soon' }), /EVENT_RETENTION_HOURS/);
  });
});

describe('window shut events', () => {
  const h = harness();

  test('when a customer message leaves the window about to shut, WINDOW_SHUT is pushed as it shuts, once', async () => {
    const { s } = h;
    const [anna] = s.demo.conversations;
    const start = await head(s, s.demo.tenant.id);
    const sub = await h.open<StreamInboxEventsSubscription>(s.tokens.owner, StreamInboxEventsDocument, { after: encodeEventCursor(start) });
    // A customer message written 24 h minus 400 ms ago: the WhatsApp window shuts in 400 ms.
    const shutsAt = Date.now() + 400;
    await addMessage(s, anna, { text: 'late reply', from: 'customer', at: new Date(shutsAt - 24 * HOUR) });
    const shut = event(await sub.waitFor((r) => event(r).__typename === 'WindowChangedEvent', 5000));
    assert.ok(shut.__typename === 'WindowChangedEvent');
    assert.equal(shut.type, 'WINDOW_SHUT');
    assert.equal(shut.opened, false);
    assert.equal(shut.actorType, 'SYSTEM');
    assert.equal(shut.conversation.id, anna.id);
    assert.deepEqual([shut.window.canSend, shut.window.reason, shut.window.expiresAt], [false, 'EXPIRED', null]);
    assert.ok(Date.parse(shut.occurredAt) >= shutsAt - 5, 'not before the window shut');

    // Firing the same change again (a second server, a rescan) records nothing new.
    const recorded = await s.db.em.fork().find(DomainEvent, { conversationId: anna.id, type: EventType.WINDOW_SHUT });
    assert.equal(recorded.length, 1);
    const payload = recorded[0].payload as { shutAt: string; actors: string[]; closedFor: string[] };
    assert.deepEqual(
      [payload.actors, payload.closedFor],
      [
        ['user', 'bot'],
        ['user', 'bot'],
      ],
    );
    assert.equal(await s.server.deps.windowScheduler.shutIfDue(anna.id, new Date(payload.shutAt)), null);
    assert.equal(await s.db.em.fork().count(DomainEvent, { conversationId: anna.id, type: EventType.WINDOW_SHUT }), 1);
    sub.stop();
  });

  h.it('several firings of the same change at once record it once', () => concurrentShutOnce(h));

  test('a later customer message cancels a shut that was due', async () => {
    const { s } = h;
    const bruno = s.demo.conversations[1];
    const scheduler = s.server.deps.windowScheduler;
    const shutAt = new Date(Date.now() - 1000);
    await addMessage(s, bruno, { text: 'long ago', from: 'customer', at: new Date(shutAt.getTime() - 24 * HOUR) });
    await addMessage(s, bruno, { text: 'fresh message', from: 'customer' });
    // The window counted from the first message shut a second ago, but the second one restarted it.
    assert.equal(await scheduler.shutIfDue(bruno.id, shutAt), null);
    assert.equal(await s.db.em.fork().count(DomainEvent, { conversationId: bruno.id, type: EventType.WINDOW_SHUT }), 0);
  });
});

describe('window scheduler with an injected clock', () => {
  test('schedules from the database at start, keeps the user’s human-agent extension, bounds pending changes, survives a restart', async (t) => {
    const s = await startTestServer();
    t.after(() => s.close());
    const em = s.db.em.fork() as SqlEntityManager;
    const messenger = em.create(Inbox, {
      tenantId: s.demo.tenant.id,
      name: 'Messenger',
      channel: ChannelKind.MESSENGER,
      provider: 'sandbox',
      senderAddress: 'page-1',
      windowHours: null,
      humanAgentWindowHours: null,
      providerConfig: {},
      createdAt: new Date(),
    });
    // Far in the past for the server's own (real-clock) scheduler; "now" for the injected clock.
    const base = Date.now() - 30 * 24 * HOUR;
    const conversations = [0, 10, 20].map((minutes, i) => {
      const contact = em.create(Contact, { tenantId: s.demo.tenant.id, name: `M${i}`, createdAt: new Date(base) });
      return em.create(
        Conversation,
        conversationRow({
          tenantId: s.demo.tenant.id,
          inboxId: messenger.id,
          contactId: contact.id,
          channel: ChannelKind.MESSENGER,
          externalId: `psid-${i}`,
          lastInboundAt: new Date(base + minutes * 60_000),
        }),
      );
    });
    await em.flush();

    let now = base + 24 * HOUR - 5 * 60_000;
    const timers: { at: number; fn: () => void }[] = [];
    const clock: SchedulerClock = {
      now: () => now,
      setTimeout: (fn, ms) => {
        const timer = { at: now + ms, fn };
        timers.push(timer);
        return timer;
      },
      clearTimeout: (handle) => void timers.splice(timers.indexOf(handle as (typeof timers)[number]), 1),
    };
    const advance = async (to: number) => {
      now = to;
      for (const timer of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
      // Let the fired work (transactions and publishes) finish.
      await scheduler.settled();
    };
    let scheduler = new WindowScheduler({ db: s.db, pubsub: s.server.deps.pubsub }, { horizonMs: HOUR, maxScheduled: 2, clock });
    await scheduler.start();
    assert.deepEqual(
      scheduler.pending().map((e) => [e.conversationId, e.at]),
      [
        [conversations[0].id, base + 24 * HOUR],
        [conversations[1].id, base + 24 * HOUR + 10 * 60_000],
      ],
      'the two earliest of three, within the horizon',
    );

    await advance(base + 24 * HOUR + 1);
    const shut = await s.db.em.fork().find(DomainEvent, { conversationId: conversations[0].id, type: EventType.WINDOW_SHUT });
    assert.equal(shut.length, 1);
    assert.deepEqual((shut[0].payload as { closedFor: string[] }).closedFor, ['bot'], 'a human agent keeps the 7-day extension');
    assert.deepEqual(
      scheduler.pending().map((e) => e.conversationId),
      [conversations[1].id],
      'the next change of conversation 0 (168 h) is beyond the horizon',
    );
    await scheduler.stop();

    // A new process: the restart scan finds what is due (and what shut while it was down, within the horizon).
    now = base + 24 * HOUR + 30 * 60_000;
    scheduler = new WindowScheduler({ db: s.db, pubsub: s.server.deps.pubsub }, { horizonMs: HOUR, maxScheduled: 10, clock });
    await scheduler.start();
    assert.deepEqual(
      scheduler.pending().map((e) => e.conversationId),
      [conversations[0].id, conversations[1].id, conversations[2].id],
    );
    await advance(now);
    await scheduler.stop();
    const all = await s.db.em
      .fork()
      .find(DomainEvent, { type: EventType.WINDOW_SHUT, conversationId: { $in: conversations.map((c) => c.id) } });
    assert.deepEqual(all.map((e) => e.conversationId).sort(), conversations.map((c) => c.id).sort(), 'each shut once, the first not twice');
  });
});

describe('the same guarantees on PostgreSQL', () => {
  const h = harness({ dialect: 'postgres' });
  h.it('resume exactly once', () => resumeExactlyOnce(h));
  h.it('concurrent writers in seq order', () => concurrentWritersInOrder(h));
  h.it('resync after pruning', () => resyncAfterPrune(h));
  h.it('concurrent window shuts record one event', () => concurrentShutOnce(h));
});
