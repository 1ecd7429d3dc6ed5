import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloseConversationDocument,
  SendMessageDocument,
  type CloseConversationMutation,
  type SendMessageInput,
  type SendMessageMutation,
} from './generated/graphql';
import type { GqlResponse } from './helpers/client';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { ConversationSession } from '../src/modules/conversation/conversation-session.entity';
import { ConversationStatus } from '../src/modules/conversation/conversation-status';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import { Message } from '../src/modules/message/message.entity';

/*
 * Sends that race each other. On PostgreSQL transactions really run in parallel, so these tests
 * are what shows that a send locks the rows it decides from (the contact, then the conversation);
 * on SQLite they pin down the same outcome for the embedded database.
 */

const orderReady = {
  template: { name: 'order_ready', language: 'en', components: [{ type: 'BODY' as const, parameters: [{ text: '4827' }] }] },
};
const text = (body: string) => ({ text: { body } });
const byName = (s: TestServer, name: string) => s.demo.conversations.find((c) => c.name === name)!;

function send(s: TestServer, input: SendMessageInput, token?: string): Promise<GqlResponse<SendMessageMutation>> {
  return s.client(token).request(SendMessageDocument, { input });
}

function assertSent(results: GqlResponse<SendMessageMutation>[]): SendMessageMutation['sendMessage'][] {
  for (const res of results) assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return results.map((r) => r.data!.sendMessage);
}

function concurrencyTests(server: () => TestServer | null) {
  test('six concurrent sends to a customer whose conversation is closed all reopen that one conversation', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    // David's only WhatsApp conversation is CLOSED; a send to him (by contact or by his number)
    // reopens it (one thread per inbox and contact), and six at once must reopen it ONCE.
    const david = byName(s, 'David Okafor');
    assert.equal(david.status, ConversationStatus.CLOSED);
    const messagesBefore = await s.db.em.fork().count(Message, { conversationId: david.id });
    const inputs: SendMessageInput[] = Array.from({ length: 6 }, (_, i) => ({
      recipient:
        i % 2 === 0 ? { channel: { inboxId: s.demo.whatsapp.id, address: '+2348012345678' } } : { contact: { contactId: david.contactId } },
      content: orderReady,
    }));
    const sent = assertSent(await Promise.all(inputs.map((input) => send(s, input))));
    const em = s.db.em.fork();
    const threads = await em.find(Conversation, { contactId: david.contactId, inboxId: s.demo.whatsapp.id });
    assert.deepEqual(
      threads.map((c) => [c.id, c.status]),
      [[david.id, ConversationStatus.OPEN]],
      'one thread: the closed one, reopened',
    );
    assert.deepEqual(new Set(sent.map((m) => m.conversation.id)), new Set([david.id]), 'every send landed in that conversation');
    assert.equal(await em.count(Message, { conversationId: david.id }), messagesBefore + 6);
    assert.equal(await em.count(ConversationSession, { conversationId: david.id, closedAt: null }), 1);
    assert.equal(await em.count(DomainEvent, { conversationId: david.id, type: EventType.CONVERSATION_REOPENED }), 1);
  });

  test('ten concurrent sends to one conversation: its last message is the newest one', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const anna = byName(s, 'Anna Kowalska');
    const sent = assertSent(
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          send(s, { recipient: { conversation: { conversationId: anna.id } }, content: text(`Burst ${i}`) }),
        ),
      ),
    );
    const newest = sent
      .map((m) => m.message.id)
      .sort()
      .at(-1)!;
    const [last] = await s.db.em.fork().find(Message, { conversationId: anna.id }, { orderBy: { id: 'desc' }, limit: 1 });
    assert.equal(last.id, newest);
    const row = await s.db.em.fork().findOneOrFail(Conversation, { id: anna.id });
    assert.equal(row.lastMessageId, newest, 'lastMessageId is the greatest message id');
    const body = sent.find((m) => m.message.id === newest)!.message.content;
    assert.equal(row.lastMessagePreview, (body as { body: string }).body);
  });

  test('a send racing a close never lands in the closed session: the close comes after it, or the send reopens', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const bruno = byName(s, 'Bruno Silva');
    for (let round = 0; round < 8; round++) {
      const [res, closed]: [GqlResponse<SendMessageMutation>, GqlResponse<CloseConversationMutation>] = await Promise.all([
        send(s, { recipient: { conversation: { conversationId: bruno.id } }, content: text(`Round ${round}`) }),
        s.client().request(CloseConversationDocument, { conversationId: bruno.id }),
      ]);
      assert.equal(closed.errors, undefined, JSON.stringify(closed.errors));
      const message: { id: string } = assertSent([res])[0].message;
      const em = s.db.em.fork();
      const row: Message = await em.findOneOrFail(Message, { id: message.id });
      const conversation = await em.findOneOrFail(Conversation, { id: bruno.id });
      const added = await em.findOneOrFail(DomainEvent, { type: EventType.MESSAGE_ADDED, messageId: message.id });
      const [lastClose] = await em.find(
        DomainEvent,
        { conversationId: bruno.id, type: EventType.CONVERSATION_CLOSED },
        { orderBy: { seq: 'desc' }, limit: 1 },
      );
      const session = await em.findOneOrFail(ConversationSession, { id: row.sessionId! });
      if (lastClose && Number(lastClose.seq) > Number(added.seq)) {
        // Closed after the send: the message belongs to the session the close ended.
        assert.equal(conversation.status, ConversationStatus.CLOSED, `round ${round}`);
        assert.ok(session.closedAt, `round ${round}: the message's session was closed by the close`);
        assert.equal(lastClose.payload.sessionId, row.sessionId, `round ${round}: ...the session the close event names`);
      } else {
        // The send came after the close (or the close found nothing open): the send reopened the thread.
        assert.equal(conversation.status, ConversationStatus.OPEN, `round ${round}: a send after a close reopens`);
        assert.equal(row.sessionId, conversation.currentSessionId, `round ${round}: message in the current session`);
        assert.equal(session.closedAt, null, `round ${round}: ...which is open`);
      }
    }
  });
}

describe('concurrent sends (SQLite)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
  });
  after(() => s.close());
  concurrencyTests(() => s);
});

describe('concurrent sends (PostgreSQL)', () => {
  let s: TestServer | null = null;
  before(async () => {
    const why = await postgresUnavailable();
    if (why) {
      console.log(`# SKIP PostgreSQL concurrent send tests: ${why}`);
      return;
    }
    s = await startTestServer({ dialect: 'postgres', deliveryWorker: false });
  });
  after(() => s?.close());
  concurrencyTests(() => s);
});
