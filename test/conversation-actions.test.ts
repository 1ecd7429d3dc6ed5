import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloseConversationDocument,
  ConversationActionStateDocument,
  MarkConversationReadDocument,
  MarkConversationReadTwiceDocument,
  ReassignConversationDocument,
} from './generated/graphql';
import { errorCode, type GqlResponse } from './helpers/client';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { Scope } from '../src/modules/auth/scopes';
import { ConversationSession } from '../src/modules/conversation/conversation-session.entity';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import type { EventMessage } from '../src/modules/event/event.service';
import { InboxMember } from '../src/modules/inbox/inbox-member.entity';
import { Message } from '../src/modules/message/message.entity';
import { ReadMarker } from '../src/modules/read-marker/read-marker.entity';
import { UserRole } from '../src/modules/user/user-role';
import { User } from '../src/modules/user/user.entity';
import { Topics } from '../src/pubsub/pubsub';
import { seedDemo } from '../src/seed/demo';

const byName = (s: TestServer, name: string) => s.demo.conversations.find((c) => c.name === name)!;

function messagesOf(s: TestServer, conversationId: string): Promise<Message[]> {
  return s.db.em.fork().find(Message, { conversationId }, { orderBy: { id: 'asc' } });
}

function events(s: TestServer, type: EventType, conversationId: string): Promise<DomainEvent[]> {
  return s.db.em.fork().find(DomainEvent, { type, conversationId }, { orderBy: { seq: 'asc' } });
}

function conversationRow(s: TestServer, id: string): Promise<Conversation> {
  return s.db.em.fork().findOneOrFail(Conversation, { id });
}

function markerOf(s: TestServer, conversationId: string, userId: string): Promise<string | null> {
  return s.db.em
    .fork()
    .findOne(ReadMarker, { conversationId, userId })
    .then((m) => m?.lastReadMessageId ?? null);
}

/** Everything an action could have touched on a conversation, read from the database. */
async function snapshot(s: TestServer, conversationId: string) {
  const em = s.db.em.fork();
  const c = await em.findOneOrFail(Conversation, { id: conversationId });
  const sessions = await em.find(ConversationSession, { conversationId }, { orderBy: { id: 'asc' } });
  const markers = await em.find(ReadMarker, { conversationId }, { orderBy: { id: 'asc' } });
  return {
    status: c.status,
    assigneeId: c.assigneeId,
    currentSessionId: c.currentSessionId,
    updatedAt: c.updatedAt.toISOString(),
    sessions: sessions.map((x) => `${x.id}:${x.closedAt?.toISOString() ?? 'open'}`),
    markers: markers.map((m) => `${m.userId}:${m.lastReadMessageId}`),
    events: await em.count(DomainEvent, { conversationId }),
  };
}

function fieldsOf(res: GqlResponse<unknown>): string[] {
  return ((res.errors?.[0]?.extensions?.fields ?? []) as { field: string }[]).map((f) => f.field);
}

describe('conversation actions', () => {
  let s: TestServer;
  /** A conversation of another workspace in the same database. */
  let foreignConversationId: string;
  before(async () => {
    s = await startTestServer({
      beforeStart: async (db) => {
        const other = await seedDemo(db.em.fork());
        foreignConversationId = other.conversations[0].id;
      },
    });
  });
  after(() => s.close());

  describe('reassignConversation', () => {
    const reassign = (token: string, conversationId: string, userId: string | null) =>
      s.client(token).request(ReassignConversationDocument, { conversationId, userId });

    test('assigns, repeats as a no-op, hands over and unassigns, recording from/to only for changes', async () => {
      const bruno = byName(s, 'Bruno Silva');
      const alice = s.demo.agent;

      const assigned = await s.client().data(ReassignConversationDocument, { conversationId: bruno.id, userId: alice.id });
      assert.deepEqual(assigned.reassignConversation.conversation.assignee, { id: alice.id, name: 'Alice Agent' });
      const read = await s.client().data(ConversationActionStateDocument, { id: bruno.id });
      assert.equal(read.conversation!.assignee?.id, alice.id);
      let log = await events(s, EventType.CONVERSATION_ASSIGNED, bruno.id);
      assert.equal(log.length, 1);
      assert.deepEqual(log[0].payload, { from: null, to: alice.id });
      assert.equal(log[0].actorId, s.demo.owner.id);

      await s.client().data(ReassignConversationDocument, { conversationId: bruno.id, userId: alice.id });
      assert.equal((await events(s, EventType.CONVERSATION_ASSIGNED, bruno.id)).length, 1, 'the same assignee again records nothing');

      // Owners and admins work every inbox: no InboxMember row needed (the owner has none).
      const toOwner = await s
        .client(s.tokens.agent)
        .data(ReassignConversationDocument, { conversationId: bruno.id, userId: s.demo.owner.id });
      assert.equal(toOwner.reassignConversation.conversation.assignee?.id, s.demo.owner.id);

      const unassigned = await s.client().data(ReassignConversationDocument, { conversationId: bruno.id, userId: null });
      assert.equal(unassigned.reassignConversation.conversation.assignee, null);
      assert.equal((await s.client().data(ConversationActionStateDocument, { id: bruno.id })).conversation!.assignee, null);
      await s.client().data(ReassignConversationDocument, { conversationId: bruno.id, userId: null });

      log = await events(s, EventType.CONVERSATION_ASSIGNED, bruno.id);
      assert.deepEqual(
        log.map((e) => e.payload),
        [
          { from: null, to: alice.id },
          { from: alice.id, to: s.demo.owner.id },
          { from: s.demo.owner.id, to: null },
        ],
      );
    });

    test('the assignee must be an active teammate of this workspace who works the inbox, else BAD_USER_INPUT naming userId', async () => {
      const emma = byName(s, 'Emma Fischer');
      const em = s.db.em.fork();
      const retired = em.create(User, {
        tenantId: s.demo.tenant.id,
        name: 'Rita Retired',
        email: 'rita@acme.test',
        role: UserRole.AGENT,
        bot: false,
        active: false,
        createdAt: new Date(),
      });
      em.create(InboxMember, { tenantId: s.demo.tenant.id, inboxId: s.demo.whatsapp.id, userId: retired.id, createdAt: new Date() });
      await em.flush();
      const foreignUser = await s.db.em.fork().findOneOrFail(User, { email: 'alice@acme.test', tenantId: { $ne: s.demo.tenant.id } });
      const before = await snapshot(s, emma.id);

      const cases: [string, string, RegExp][] = [
        [s.demo.smsAgent.id, 'an agent of another inbox', /not a member/],
        [retired.id, 'a deactivated member', /deactivated/],
        [foreignUser.id, 'a user of another workspace', /not a teammate/],
        ['usr_01HV8Z2G8Z3H5M9K2S6A1N0P4X', 'no such user', /not a teammate/],
        ['nobody', 'a malformed id', /not a valid user id/],
        [s.demo.whatsapp.id, 'an inbox id', /not a valid user id/],
      ];
      for (const [userId, why, message] of cases) {
        const res = await reassign(s.tokens.owner, emma.id, userId);
        assert.equal(errorCode(res), 'BAD_USER_INPUT', why);
        assert.deepEqual(fieldsOf(res), ['userId'], why);
        assert.match(res.errors![0].message, message, why);
      }
      assert.deepEqual(await snapshot(s, emma.id), before);
    });

    test('leaving userId out is refused rather than read as "unassign"', async () => {
      const farah = byName(s, 'Farah Haddad');
      const before = await snapshot(s, farah.id);
      const res = await s
        .client()
        .raw('mutation($c: ID!) { reassignConversation(conversationId: $c) { conversation { id } } }', { c: farah.id });
      assert.equal(errorCode(res), 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(res), ['userId']);
      assert.deepEqual(await snapshot(s, farah.id), before);
      assert.equal(before.assigneeId, s.demo.agent.id);
    });

    test('NOT_FOUND for conversations you cannot see; FORBIDDEN without conversation:assign; nothing changes', async () => {
      const george = byName(s, 'George Brown');
      const before = await snapshot(s, george.id);
      const hidden = await reassign(s.tokens.agent, george.id, null);
      assert.equal(errorCode(hidden), 'NOT_FOUND', 'Alice works WhatsApp only');
      assert.equal(errorCode(await reassign(s.tokens.owner, foreignConversationId, null)), 'NOT_FOUND');
      assert.equal(errorCode(await reassign(s.tokens.owner, 'cnv_01HV8Z2G8Z3H5M9K2S6A1N0P4X', null)), 'NOT_FOUND');
      const malformed = await reassign(s.tokens.owner, 'msg_01HV8Z2G8Z3H5M9K2S6A1N0P4X', null);
      assert.equal(errorCode(malformed), 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(malformed), ['conversationId']);
      const limited = await s.token('owner', [Scope.CONVERSATION_READ, Scope.CONVERSATION_LIST, Scope.CONVERSATION_CLOSE]);
      assert.equal(errorCode(await reassign(limited, george.id, null)), 'FORBIDDEN');
      assert.deepEqual(await snapshot(s, george.id), before);
      assert.equal(
        (await snapshot(s, foreignConversationId)).assigneeId !== null,
        true,
        "the other workspace's conversation kept its assignee",
      );
    });
  });

  describe('markConversationRead', () => {
    const mark = (token: string, conversationId: string, lastMessageId: string) =>
      s.client(token).request(MarkConversationReadDocument, { conversationId, lastMessageId });

    test('moves your marker forward, returns the new unread count, and never moves it backwards', async () => {
      const anna = byName(s, 'Anna Kowalska');
      const msgs = await messagesOf(s, anna.id);
      const newest = msgs[msgs.length - 1];
      const alice = s.demo.agent.id;
      const seeded = await markerOf(s, anna.id, alice);
      assert.ok(seeded && seeded < newest.id);
      assert.equal((await s.client(s.tokens.agent).data(ConversationActionStateDocument, { id: anna.id })).conversation!.unreadCount, 1);

      const res = await s.client(s.tokens.agent).data(MarkConversationReadDocument, { conversationId: anna.id, lastMessageId: newest.id });
      assert.equal(res.markConversationRead.conversation.unreadCount, 0);
      assert.equal((await s.client(s.tokens.agent).data(ConversationActionStateDocument, { id: anna.id })).conversation!.unreadCount, 0);
      assert.equal(await markerOf(s, anna.id, alice), newest.id);
      let log = await events(s, EventType.CONVERSATION_READ, anna.id);
      assert.equal(log.length, 1);
      assert.deepEqual(log[0].payload, { userId: alice, lastReadMessageId: newest.id });

      const older = await s
        .client(s.tokens.agent)
        .data(MarkConversationReadDocument, { conversationId: anna.id, lastMessageId: msgs[0].id });
      assert.equal(older.markConversationRead.conversation.unreadCount, 0, 'an older message does not make anything unread again');
      assert.equal(await markerOf(s, anna.id, alice), newest.id);
      await s.client(s.tokens.agent).data(MarkConversationReadDocument, { conversationId: anna.id, lastMessageId: newest.id });
      log = await events(s, EventType.CONVERSATION_READ, anna.id);
      assert.equal(log.length, 1, 'neither going back nor repeating records an event');

      // Markers are per teammate: the owner's count is still from their own (absent) marker.
      assert.equal((await s.client().data(ConversationActionStateDocument, { id: anna.id })).conversation!.unreadCount, 2);
    });

    test('the unread count returned is the one after this mark, even after another mark in the same operation', async () => {
      const chloe = byName(s, 'Chloé Martin');
      const [firstCustomer, , , lastAgent] = await messagesOf(s, chloe.id);
      const { first, second } = await s
        .client()
        .data(MarkConversationReadTwiceDocument, { conversationId: chloe.id, first: firstCustomer.id, second: lastAgent.id });
      assert.equal(first.conversation.unreadCount, 1, 'one customer message after the first one');
      assert.equal(second.conversation.unreadCount, 0);
      assert.equal(await markerOf(s, chloe.id, s.demo.owner.id), lastAgent.id);
    });

    test('a message of another conversation is BAD_USER_INPUT naming lastMessageId; one you cannot see is NOT_FOUND', async () => {
      const farah = byName(s, 'Farah Haddad');
      const [bruno1] = await messagesOf(s, byName(s, 'Bruno Silva').id);
      const [george1] = await messagesOf(s, byName(s, 'George Brown').id);
      const before = await snapshot(s, farah.id);

      const other = await mark(s.tokens.agent, farah.id, bruno1.id);
      assert.equal(errorCode(other), 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(other), ['lastMessageId']);
      assert.equal(errorCode(await mark(s.tokens.agent, farah.id, george1.id)), 'NOT_FOUND', 'Alice cannot see SMS messages');
      assert.equal(errorCode(await mark(s.tokens.agent, farah.id, 'msg_01HV8Z2G8Z3H5M9K2S6A1N0P4X')), 'NOT_FOUND');
      const malformed = await mark(s.tokens.agent, farah.id, 'latest');
      assert.equal(errorCode(malformed), 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(malformed), ['lastMessageId']);
      assert.equal(errorCode(await mark(s.tokens.agent, byName(s, 'George Brown').id, george1.id)), 'NOT_FOUND');
      const listOnly = await s.token('agent', [Scope.CONVERSATION_LIST, Scope.MESSAGE_CREATE]);
      const [farah1] = await messagesOf(s, farah.id);
      assert.equal(errorCode(await mark(listOnly, farah.id, farah1.id)), 'FORBIDDEN');

      assert.deepEqual(await snapshot(s, farah.id), before);
      assert.equal((await s.client(s.tokens.agent).data(ConversationActionStateDocument, { id: farah.id })).conversation!.unreadCount, 2);
    });

    test('concurrent marks end at the newest message, whatever order they commit in', async () => {
      await concurrentMarks(s, 'Farah Haddad');
    });
  });

  describe('closeConversation', () => {
    const close = (token: string, conversationId: string) => s.client(token).request(CloseConversationDocument, { conversationId });

    test('closes the active session; closing again returns the same state and records nothing', async () => {
      const emma = byName(s, 'Emma Fischer');
      const sessionId = (await conversationRow(s, emma.id)).currentSessionId!;
      assert.ok(sessionId);

      const closed = await s.client(s.tokens.agent).data(CloseConversationDocument, { conversationId: emma.id });
      assert.equal(closed.closeConversation.conversation.status, 'CLOSED');
      assert.equal((await s.client().data(ConversationActionStateDocument, { id: emma.id })).conversation!.status, 'CLOSED');
      const row = await conversationRow(s, emma.id);
      assert.equal(row.currentSessionId, null);
      const session = await s.db.em.fork().findOneOrFail(ConversationSession, { id: sessionId });
      assert.ok(session.closedAt, 'the session has ended');
      const log = await events(s, EventType.CONVERSATION_CLOSED, emma.id);
      assert.equal(log.length, 1);
      assert.deepEqual(log[0].payload, { sessionId });
      assert.equal(log[0].actorId, s.demo.agent.id);

      const before = await snapshot(s, emma.id);
      const again = await s.client(s.tokens.agent).data(CloseConversationDocument, { conversationId: emma.id });
      assert.deepEqual(again.closeConversation.conversation, closed.closeConversation.conversation);
      assert.deepEqual(await snapshot(s, emma.id), before, 'no event, no new closedAt');
    });

    test('a conversation closed before is a no-op too', async () => {
      const david = byName(s, 'David Okafor');
      const before = await snapshot(s, david.id);
      const res = await s.client().data(CloseConversationDocument, { conversationId: david.id });
      assert.equal(res.closeConversation.conversation.status, 'CLOSED');
      assert.deepEqual(await snapshot(s, david.id), before);
    });

    test('NOT_FOUND for conversations you cannot see; FORBIDDEN without conversation:close; nothing changes', async () => {
      const george = byName(s, 'George Brown');
      const before = await snapshot(s, george.id);
      assert.equal(errorCode(await close(s.tokens.agent, george.id)), 'NOT_FOUND');
      assert.equal(errorCode(await close(s.tokens.owner, foreignConversationId)), 'NOT_FOUND');
      const malformed = await close(s.tokens.owner, 'George');
      assert.equal(errorCode(malformed), 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(malformed), ['conversationId']);
      const noClose = await s.token('owner', [Scope.CONVERSATION_READ, Scope.CONVERSATION_ASSIGN]);
      assert.equal(errorCode(await close(noClose, george.id)), 'FORBIDDEN');
      assert.deepEqual(await snapshot(s, george.id), before);
      assert.equal(before.status, 'open');
      assert.equal((await snapshot(s, foreignConversationId)).status, 'open', "the other workspace's conversation stays open");
    });

    test('the close is published after commit; the no-op before it published nothing', async () => {
      const hana = byName(s, 'Hana Sato');
      const david = byName(s, 'David Okafor');
      const feed = s.server.deps.pubsub.subscribe<EventMessage>(Topics.tenant(s.demo.tenant.id));
      try {
        await s.client().data(CloseConversationDocument, { conversationId: david.id });
        await s.client().data(CloseConversationDocument, { conversationId: hana.id });
        const { value } = await feed.next();
        assert.equal(value.type, EventType.CONVERSATION_CLOSED);
        assert.equal(value.conversationId, hana.id);
        const [row] = await events(s, EventType.CONVERSATION_CLOSED, hana.id);
        assert.equal(value.seq, Number(row.seq));
      } finally {
        await feed.return!();
      }
    });
  });
});

/** Marks every message of a conversation at once, in shuffled order: the marker must end at the newest. */
async function concurrentMarks(s: TestServer, name: string): Promise<void> {
  const conversation = byName(s, name);
  const msgs = await messagesOf(s, conversation.id);
  const newest = msgs[msgs.length - 1].id;
  const ids = [...msgs, ...msgs, ...msgs].map((m) => m.id).reverse();
  const results = await Promise.all(
    ids.map((id) => s.client(s.tokens.agent).request(MarkConversationReadDocument, { conversationId: conversation.id, lastMessageId: id })),
  );
  for (const r of results) assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(await markerOf(s, conversation.id, s.demo.agent.id), newest);
  assert.equal(
    (await s.client(s.tokens.agent).data(ConversationActionStateDocument, { id: conversation.id })).conversation!.unreadCount,
    0,
  );
  const log = await events(s, EventType.CONVERSATION_READ, conversation.id);
  assert.ok(log.length >= 1 && log.length <= msgs.length, `one event per forward move at most (got ${log.length})`);
  const moves = log.map((e) => e.payload.lastReadMessageId as string);
  assert.deepEqual(moves, [...moves].sort(), 'recorded moves only ever go forward');
  assert.equal(moves[moves.length - 1], newest);
}

describe('conversation actions under concurrency (PostgreSQL)', () => {
  let s: TestServer | null = null;
  let skipped: string | null = null;
  before(async () => {
    skipped = await postgresUnavailable();
    if (!skipped) s = await startTestServer({ dialect: 'postgres' });
  });
  after(async () => {
    if (s) await s.close();
  });
  const it = (title: string, fn: (s: TestServer) => Promise<void>) =>
    test(title, async (t) => {
      if (skipped || !s) return t.skip(skipped ?? 'database unavailable');
      await fn(s);
    });

  it('concurrent marks end at the newest message', (server) => concurrentMarks(server, 'Farah Haddad'));

  it('concurrent closes close once', async (server) => {
    const bruno = byName(server, 'Bruno Silva');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => server.client().request(CloseConversationDocument, { conversationId: bruno.id })),
    );
    for (const r of results) assert.equal(r.data?.closeConversation.conversation.status, 'CLOSED', JSON.stringify(r.errors));
    assert.equal((await events(server, EventType.CONVERSATION_CLOSED, bruno.id)).length, 1);
  });

  it('concurrent reassignments to one teammate record one change', async (server) => {
    const emma = byName(server, 'Emma Fischer');
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        server.client().request(ReassignConversationDocument, { conversationId: emma.id, userId: server.demo.agent.id }),
      ),
    );
    for (const r of results)
      assert.equal(r.data?.reassignConversation.conversation.assignee?.id, server.demo.agent.id, JSON.stringify(r.errors));
    assert.equal((await events(server, EventType.CONVERSATION_ASSIGNED, emma.id)).length, 1);
  });
});
