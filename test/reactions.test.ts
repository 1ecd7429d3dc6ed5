import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageReactionsDocument, ReactToMessageDocument } from './generated/graphql';
import { errorCode } from './helpers/client';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { Scope } from '../src/modules/auth/scopes';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import type { EventMessage } from '../src/modules/event/event.service';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection } from '../src/modules/message/sender-type';
import { Reaction } from '../src/modules/reaction/reaction.entity';
import { Topics } from '../src/pubsub/pubsub';

/** Messages of a demo conversation, oldest first. */
async function messagesOf(s: TestServer, name: string): Promise<Message[]> {
  const conversation = s.demo.conversations.find((c) => c.name === name)!;
  return s.db.em.fork().find(Message, { conversationId: conversation.id }, { orderBy: { id: 'asc' } });
}

/** REACTION_CHANGED rows for a message, in log order. */
function reactionEvents(s: TestServer, messageId: string): Promise<DomainEvent[]> {
  return s.db.em.fork().find(DomainEvent, { type: EventType.REACTION_CHANGED, messageId }, { orderBy: { seq: 'asc' } });
}

function reactionRows(s: TestServer, messageId: string): Promise<Reaction[]> {
  return s.db.em.fork().find(Reaction, { messageId }, { orderBy: { id: 'asc' } });
}

/** What a refused call must leave behind: the same reactions and no new event, read from the database. */
async function snapshot(s: TestServer, messageId: string) {
  const rows = await reactionRows(s, messageId);
  return {
    reactions: rows.map((r) => `${r.id}:${r.actorType}:${r.actorId}:${r.emoji}`),
    events: await s.db.em.fork().count(DomainEvent, { messageId }),
  };
}

describe('reactToMessage', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const react = (token: string, messageId: string, emoji: string, removed: boolean | null = null) =>
    s.client(token).request(ReactToMessageDocument, { messageId, emoji, removed });

  test('sets, repeats, replaces and removes one reaction per actor, with an event only for real changes', async () => {
    const [first] = await messagesOf(s, 'Anna Kowalska');
    const owner = s.demo.owner.id;

    const set = await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '👍', removed: null });
    assert.equal(set.reactToMessage.reaction?.emoji, '👍');
    assert.equal(set.reactToMessage.reaction?.actorType, 'USER');
    assert.deepEqual(set.reactToMessage.reaction?.actor, { __typename: 'User', id: owner });
    assert.deepEqual(
      set.reactToMessage.message.reactions!.map((r) => r.emoji),
      ['👍'],
    );
    const read = await s.client().data(MessageReactionsDocument, { id: first.id });
    assert.deepEqual(
      read.message!.reactions!.map((r) => [r.id, r.emoji]),
      [[set.reactToMessage.reaction!.id, '👍']],
    );
    let events = await reactionEvents(s, first.id);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0].payload, { reactionId: set.reactToMessage.reaction!.id, emoji: '👍', removed: false, previousEmoji: null });
    assert.equal(events[0].actorId, owner);
    assert.equal(events[0].conversationId, first.conversationId);

    const again = await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '👍', removed: false });
    assert.equal(again.reactToMessage.reaction?.id, set.reactToMessage.reaction?.id, 'the same emoji again keeps the same reaction');
    assert.equal((await reactionEvents(s, first.id)).length, 1, 'repeating the same emoji records nothing');

    const replaced = await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '❤️', removed: false });
    assert.equal(replaced.reactToMessage.reaction?.emoji, '❤️');
    assert.deepEqual(
      replaced.reactToMessage.message.reactions!.map((r) => r.emoji),
      ['❤️'],
      'the new emoji replaces the old',
    );
    assert.deepEqual(
      (await reactionRows(s, first.id)).map((r) => r.emoji),
      ['❤️'],
    );
    events = await reactionEvents(s, first.id);
    assert.equal(events.length, 2);
    assert.deepEqual(events[1].payload, {
      reactionId: replaced.reactToMessage.reaction!.id,
      emoji: '❤️',
      removed: false,
      previousEmoji: '👍',
    });

    const removeOther = await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '👍', removed: true });
    assert.equal(removeOther.reactToMessage.reaction?.emoji, '❤️', 'removing an emoji you did not react with leaves yours');
    assert.deepEqual(
      (await reactionRows(s, first.id)).map((r) => r.emoji),
      ['❤️'],
    );
    assert.equal((await reactionEvents(s, first.id)).length, 2);

    const removed = await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '❤️', removed: true });
    assert.equal(removed.reactToMessage.reaction, null);
    assert.deepEqual(removed.reactToMessage.message.reactions, []);
    assert.deepEqual((await s.client().data(MessageReactionsDocument, { id: first.id })).message!.reactions, []);
    events = await reactionEvents(s, first.id);
    assert.equal(events.length, 3);
    assert.deepEqual(events[2].payload, {
      reactionId: replaced.reactToMessage.reaction!.id,
      emoji: '❤️',
      removed: true,
      previousEmoji: '❤️',
    });

    const removedAgain = await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '❤️', removed: true });
    assert.equal(removedAgain.reactToMessage.reaction, null, 'removing a reaction that does not exist succeeds');
    assert.equal((await reactionEvents(s, first.id)).length, 3, '… and records nothing');
  });

  test("reactions of other actors are left alone; a bot's reaction is a BOT reaction", async () => {
    // The seeded customer 🙏 sits on Alice's pickup message.
    const pickup = (await messagesOf(s, 'Anna Kowalska')).find(
      (m) => m.direction === MessageDirection.OUTBOUND && m.content.kind === 'text' && m.content.body.includes('pickup'),
    )!;
    const before = await reactionRows(s, pickup.id);
    assert.deepEqual(
      before.map((r) => [r.actorType, r.emoji]),
      [['customer', '🙏']],
    );

    await s.client(s.tokens.agent).data(ReactToMessageDocument, { messageId: pickup.id, emoji: '👍🏽', removed: false });
    const bot = await s.client(s.tokens.bot).data(ReactToMessageDocument, { messageId: pickup.id, emoji: '👨‍👩‍👧‍👦', removed: false });
    assert.equal(bot.reactToMessage.reaction?.actorType, 'BOT');
    assert.deepEqual(bot.reactToMessage.reaction?.actor, { __typename: 'User', id: s.demo.bot.id });

    const { message } = await s.client().data(MessageReactionsDocument, { id: pickup.id });
    assert.deepEqual(
      message!.reactions!.map((r) => [r.actorType, r.emoji]),
      [
        ['CUSTOMER', '🙏'],
        ['USER', '👍🏽'],
        ['BOT', '👨‍👩‍👧‍👦'],
      ],
    );
    assert.equal(message!.reactions![0].id, before[0].id, "the customer's reaction is untouched");
  });

  test('anything but exactly one emoji is BAD_USER_INPUT naming emoji, and changes nothing', async () => {
    const [first] = await messagesOf(s, 'Chloé Martin');
    await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '😀', removed: false });
    const before = await snapshot(s, first.id);
    for (const emoji of ['ab', '👍👍', '', 'thanks', '👍 ', '1']) {
      for (const removed of [false, true]) {
        const res = await react(s.tokens.owner, first.id, emoji, removed);
        assert.equal(errorCode(res), 'BAD_USER_INPUT', JSON.stringify(emoji));
        assert.deepEqual(
          (res.errors![0].extensions!.fields as { field: string }[]).map((f) => f.field),
          ['emoji'],
        );
        assert.equal(res.data, null);
      }
    }
    assert.deepEqual(await snapshot(s, first.id), before);
  });

  test('SMS has no reactions: UNSUPPORTED_CONTENT, nothing written', async () => {
    const [sms] = await messagesOf(s, 'George Brown');
    const before = await snapshot(s, sms.id);
    const res = await react(s.tokens.owner, sms.id, '👍');
    assert.equal(errorCode(res), 'UNSUPPORTED_CONTENT');
    assert.equal(res.errors![0].extensions!.channel, 'sms');
    assert.deepEqual(await snapshot(s, sms.id), before);
    assert.deepEqual((await s.client().data(MessageReactionsDocument, { id: sms.id })).message!.reactions, []);
  });

  test('NOT_FOUND for messages you cannot see or that do not exist; BAD_USER_INPUT for malformed ids', async () => {
    const [sms] = await messagesOf(s, 'George Brown');
    const before = await snapshot(s, sms.id);
    const hidden = await react(s.tokens.agent, sms.id, '👍');
    assert.equal(errorCode(hidden), 'NOT_FOUND', 'Alice works WhatsApp only: the SMS message does not exist for her');
    assert.deepEqual(await snapshot(s, sms.id), before);

    const missing = await react(s.tokens.owner, 'msg_01HV8Z2G8Z3H5M9K2S6A1N0P4X', '👍');
    assert.equal(errorCode(missing), 'NOT_FOUND');

    const malformed = await react(s.tokens.owner, 'cnv_01HV8Z2G8Z3H5M9K2S6A1N0P4X', '👍');
    assert.equal(errorCode(malformed), 'BAD_USER_INPUT');
    assert.deepEqual(
      (malformed.errors![0].extensions!.fields as { field: string }[]).map((f) => f.field),
      ['messageId'],
    );
  });

  test('a token without message:create is FORBIDDEN and changes nothing', async () => {
    const [first] = await messagesOf(s, 'Bruno Silva');
    const before = await snapshot(s, first.id);
    const token = await s.token('owner', [Scope.CONVERSATION_READ, Scope.CONVERSATION_LIST]);
    const res = await react(token, first.id, '👍');
    assert.equal(errorCode(res), 'FORBIDDEN');
    assert.deepEqual(await snapshot(s, first.id), before);
  });

  test('the change is published after commit; a no-op publishes nothing', async () => {
    const [first] = await messagesOf(s, 'Farah Haddad');
    const events = s.server.deps.pubsub.subscribe<EventMessage>(Topics.tenant(s.demo.tenant.id));
    try {
      await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '🎉', removed: true }); // nothing to remove
      const set = await s.client().data(ReactToMessageDocument, { messageId: first.id, emoji: '🎉', removed: false });
      const { value } = await events.next();
      // Published in order, so the first event heard is the set: the no-op before it published nothing.
      assert.equal(value.type, EventType.REACTION_CHANGED);
      assert.equal(value.messageId, first.id);
      assert.deepEqual(value.payload, { reactionId: set.reactToMessage.reaction!.id, emoji: '🎉', removed: false, previousEmoji: null });
      const [row] = await reactionEvents(s, first.id);
      assert.equal(value.seq, Number(row.seq), 'what was published is the committed row');
    } finally {
      await events.return!();
    }
  });
});

describe('reactToMessage under concurrency (PostgreSQL)', () => {
  let s: TestServer | null = null;
  let skipped: string | null = null;
  before(async () => {
    skipped = await postgresUnavailable();
    if (!skipped) s = await startTestServer({ dialect: 'postgres' });
  });
  after(async () => {
    if (s) await s.close();
  });

  test('racing reactions by one actor end with one reaction and one event per real change', async (t) => {
    if (skipped || !s) return t.skip(skipped ?? 'database unavailable');
    const server = s;
    const [first] = await messagesOf(server, 'Anna Kowalska');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        server.client().request(ReactToMessageDocument, { messageId: first.id, emoji: '🔥', removed: false }),
      ),
    );
    for (const r of results) assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const rows = (await reactionRows(server, first.id)).filter((r) => r.actorId === server.demo.owner.id);
    assert.deepEqual(
      rows.map((r) => r.emoji),
      ['🔥'],
    );
    assert.equal((await reactionEvents(server, first.id)).length, 1, 'only the first of identical racing calls changed anything');
  });
});
