import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  CloseConversationDocument,
  SendMessageDocument,
  WindowAsDocument,
  type SendMessageInput,
  type SendMessageMutation,
} from './generated/graphql';
import type { GqlResponse } from './helpers/client';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { createSalesInbox } from './helpers/whatsapp-inbox';
import { ConversationSession } from '../src/modules/conversation/conversation-session.entity';
import { ConversationStatus } from '../src/modules/conversation/conversation-status';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { startConversation } from '../src/modules/conversation/conversation-session.service';
import { Contact } from '../src/modules/contact/contact.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import { Inbox } from '../src/modules/inbox/inbox.entity';

/*
 * Issue #12's two threading bugs. One thread per (inbox, contact): a send to a closed thread's
 * customer (by contact or by raw address) reopens that thread as an inbound message would, and the
 * database refuses a second one. A contact send without inboxId goes out from the inbox of the
 * customer's latest OPEN conversation on the channel, and only then falls back.
 */

const orderReady = {
  template: { name: 'order_ready', language: 'en', components: [{ type: 'BODY' as const, parameters: [{ text: '4827' }] }] },
};
const text = (body: string) => ({ text: { body } });
const byName = (s: TestServer, name: string) => s.demo.conversations.find((c) => c.name === name)!;

function send(s: TestServer, input: SendMessageInput): Promise<GqlResponse<SendMessageMutation>> {
  return s.client().request(SendMessageDocument, { input });
}

async function sent(s: TestServer, input: SendMessageInput): Promise<SendMessageMutation['sendMessage']> {
  const res = await send(s, input);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!.sendMessage;
}

async function close(s: TestServer, conversationId: string): Promise<void> {
  const res = await s.client().request(CloseConversationDocument, { conversationId });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
}

/** Every conversation of the contact in the inbox (there must only ever be one). */
function threads(s: TestServer, inboxId: string, contactId: string): Promise<Conversation[]> {
  return s.db.em.fork().find(Conversation, { inboxId, contactId });
}

function threadTests(server: () => TestServer | null, sales: () => Inbox) {
  test("a send to a closed conversation's contact reopens that conversation, with its window open", async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    // Anna wrote minutes ago: her window is open, whatever state the thread is in.
    const anna = byName(s, 'Anna Kowalska');
    await close(s, anna.id);

    const out = await sent(s, { recipient: { contact: { contactId: anna.contactId } }, content: text('One more thing about #4827.') });
    assert.equal(out.conversation.id, anna.id, 'the closed thread is continued, not a second one started');
    assert.equal(out.conversation.status, 'OPEN');
    assert.equal((await threads(s, s.demo.whatsapp.id, anna.contactId)).length, 1);

    const em = s.db.em.fork();
    const sessions = await em.find(ConversationSession, { conversationId: anna.id }, { orderBy: { openedAt: 'asc' } });
    assert.equal(sessions.length, 2, 'a new session for the reopened thread');
    assert.equal(sessions[1].closedAt, null);
    const reopened = await em.find(DomainEvent, { conversationId: anna.id, type: EventType.CONVERSATION_REOPENED });
    assert.equal(reopened.length, 1);
    assert.equal(reopened[0].payload.sessionId, sessions[1].id);
    assert.equal(await em.count(DomainEvent, { conversationId: anna.id, type: EventType.CONVERSATION_CREATED }), 0);

    const window = await s.client().request(WindowAsDocument, { id: anna.id });
    assert.equal(window.errors, undefined, JSON.stringify(window.errors));
    assert.equal(window.data!.conversation!.window.canSend, true, 'the customer wrote minutes ago');
    assert.notEqual(window.data!.conversation!.window.reason, 'NO_CUSTOMER_MESSAGE');
  });

  test("a send to a closed conversation's raw address reopens that conversation", async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const bruno = byName(s, 'Bruno Silva');
    await close(s, bruno.id);
    const out = await sent(s, {
      recipient: { channel: { inboxId: s.demo.whatsapp.id, address: '+55 11 98765-4321' } },
      content: text('Yes, we ship to Brazil.'),
    });
    assert.equal(out.conversation.id, bruno.id);
    assert.equal(out.conversation.status, 'OPEN');
    assert.equal((await threads(s, s.demo.whatsapp.id, bruno.contactId)).length, 1);
    assert.equal(await s.db.em.fork().count(DomainEvent, { conversationId: bruno.id, type: EventType.CONVERSATION_REOPENED }), 1);
  });

  test("without inboxId a contact send goes to the latest OPEN conversation's inbox, not a later closed one", async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const chloe = byName(s, 'Chloé Martin');
    // A sales thread with Chloé, newer than her open support thread, then closed.
    const inSales = await sent(s, { recipient: { contact: { contactId: chloe.contactId } }, content: orderReady, inboxId: sales().id });
    assert.notEqual(inSales.conversation.id, chloe.id);
    await close(s, inSales.conversation.id);
    const salesRow = await s.db.em.fork().findOneOrFail(Conversation, { id: inSales.conversation.id });
    const supportRow = await s.db.em.fork().findOneOrFail(Conversation, { id: chloe.id });
    assert.ok(salesRow.lastActivityAt > supportRow.lastActivityAt, 'the closed sales thread is the most recent one');

    const out = await sent(s, { recipient: { contact: { contactId: chloe.contactId } }, content: orderReady });
    assert.equal(out.conversation.id, chloe.id, 'the open support thread, not the closed sales one');
    assert.equal((await s.db.em.fork().findOneOrFail(Conversation, { id: inSales.conversation.id })).status, ConversationStatus.CLOSED);
  });

  test('with no open conversation on the channel, a contact send falls back to its latest thread and reopens it', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    // David's only thread (support) is closed; two WhatsApp inboxes could reach him.
    const david = byName(s, 'David Okafor');
    const out = await sent(s, { recipient: { contact: { contactId: david.contactId } }, content: orderReady });
    assert.equal(out.conversation.id, david.id);
    assert.equal(out.conversation.status, 'OPEN');
  });

  test('the database holds one conversation per (inbox, contact)', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const farah = byName(s, 'Farah Haddad');
    const em = s.db.em.fork();
    const at = new Date();
    // A second thread for the same (inbox, contact), started the way the app starts one.
    const inbox = await em.findOneOrFail(Inbox, { id: s.demo.whatsapp.id });
    const contact = await em.findOneOrFail(Contact, { id: farah.contactId });
    startConversation(em, inbox, contact, '+971501234567', at);
    await assert.rejects(em.flush(), UniqueConstraintViolationException);
    assert.equal((await threads(s, s.demo.whatsapp.id, farah.contactId)).length, 1);
  });
}

function withSales(dialect: 'sqlite' | 'postgres') {
  let s: TestServer | null = null;
  let sales: Inbox;
  before(async () => {
    if (dialect === 'postgres') {
      const why = await postgresUnavailable();
      if (why) return;
    }
    s = await startTestServer({
      ...(dialect === 'postgres' ? { dialect } : {}),
      deliveryWorker: false,
      beforeStart: async (db, demo) => {
        const em = db.em.fork();
        sales = createSalesInbox(em, demo.tenant.id);
        await em.flush();
      },
    });
  });
  after(() => s?.close());
  threadTests(
    () => s,
    () => sales,
  );
}

describe('one thread per inbox and contact (SQLite)', () => withSales('sqlite'));
describe('one thread per inbox and contact (PostgreSQL)', () => withSales('postgres'));
