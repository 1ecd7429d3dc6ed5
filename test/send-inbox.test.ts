import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SendMessageDocument, type SendMessageInput, type SendMessageMutation } from './generated/graphql';
import { errorCode, type GqlResponse } from './helpers/client';
import { startTestServer, type TestServer } from './helpers/server';
import { createSalesInbox } from './helpers/whatsapp-inbox';
import { ConversationSession } from '../src/modules/conversation/conversation-session.entity';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { OutboxEntry } from '../src/modules/delivery/outbox-entry.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { Message } from '../src/modules/message/message.entity';

/*
 * One inbox per conversation: its messages go out from that inbox and are seen by whoever sees
 * that inbox. `inboxId` picks WHICH conversation a contact is written in, never a different sender
 * for an existing conversation.
 */

const orderReady = {
  template: { name: 'order_ready', language: 'en', components: [{ type: 'BODY' as const, parameters: [{ text: '4827' }] }] },
};
const text = (body: string) => ({ text: { body } });

function send(s: TestServer, input: SendMessageInput, token?: string): Promise<GqlResponse<SendMessageMutation>> {
  return s.client(token).request(SendMessageDocument, { input });
}

async function rows(s: TestServer) {
  const em = s.db.em.fork();
  return {
    messages: await em.count(Message, {}),
    conversations: await em.count(Conversation, {}),
    sessions: await em.count(ConversationSession, {}),
    outbox: await em.count(OutboxEntry, {}),
    events: await em.count(DomainEvent, {}),
  };
}

describe('sendMessage: a conversation is served by its own inbox', () => {
  let s: TestServer;
  let sales: Inbox;
  before(async () => {
    s = await startTestServer({
      deliveryWorker: false,
      beforeStart: async (db, demo) => {
        // A second WhatsApp inbox of the same workspace; the owner sees it, the agent does not.
        const em = db.em.fork();
        sales = createSalesInbox(em, demo.tenant.id);
        await em.flush();
      },
    });
  });
  after(() => s.close());

  const anna = () => s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!;

  test('another inbox for an existing conversation is BAD_USER_INPUT naming input.inboxId, and nothing is written', async () => {
    const before = await rows(s);
    const res = await send(s, {
      recipient: { conversation: { conversationId: anna().id } },
      content: text('From sales'),
      inboxId: sales.id,
    });
    assert.equal(errorCode(res), 'BAD_USER_INPUT', JSON.stringify(res.errors));
    const fields = res.errors![0].extensions!.fields as { field: string; message: string }[];
    assert.deepEqual(
      fields.map((f) => f.field),
      ['input.inboxId'],
    );
    assert.match(fields[0].message, /served by its own inbox/);
    assert.match(fields[0].message, /send to the contact with that inboxId/);
    assert.deepEqual(await rows(s), before, 'a refused send wrote something');

    // An inbox the viewer cannot see stays NOT_FOUND, whatever it is.
    const hidden = await send(
      s,
      { recipient: { conversation: { conversationId: anna().id } }, content: text('From sales'), inboxId: sales.id },
      s.tokens.agent,
    );
    assert.equal(errorCode(hidden), 'NOT_FOUND');
    assert.deepEqual(await rows(s), before);
  });

  test("the conversation's own inbox may be named; the message goes out from it", async () => {
    const res = await send(s, {
      recipient: { conversation: { conversationId: anna().id } },
      content: text('Own inbox'),
      inboxId: s.demo.whatsapp.id,
    });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const row = await s.db.em.fork().findOneOrFail(Message, { id: res.data!.sendMessage.message.id });
    assert.equal(row.inboxId, s.demo.whatsapp.id);
  });

  test("to a contact, inboxId picks that inbox's conversation (a new one there), and later sends to it stay in it", async () => {
    const contactId = anna().contactId;
    const first = await send(s, { recipient: { contact: { contactId } }, content: orderReady, inboxId: sales.id });
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    const sent = first.data!.sendMessage;
    assert.notEqual(sent.conversation.id, anna().id, 'a new thread in the sales inbox');
    const em = s.db.em.fork();
    const conversation = await em.findOneOrFail(Conversation, { id: sent.conversation.id });
    assert.equal(conversation.inboxId, sales.id);
    assert.equal(conversation.contactId, contactId);
    assert.equal((await em.findOneOrFail(Message, { id: sent.message.id })).inboxId, sales.id);
    assert.equal((await em.findOneOrFail(OutboxEntry, { messageId: sent.message.id })).inboxId, sales.id);

    // The next send to the contact through sales continues that thread; Anna's support thread is untouched.
    const again = await send(s, { recipient: { contact: { contactId } }, content: orderReady, inboxId: sales.id });
    assert.equal(again.errors, undefined, JSON.stringify(again.errors));
    assert.equal(again.data!.sendMessage.conversation.id, conversation.id);
    // ...and that thread refuses the support inbox, as Anna's refuses sales.
    const cross = await send(s, {
      recipient: { conversation: { conversationId: conversation.id } },
      content: orderReady,
      inboxId: s.demo.whatsapp.id,
    });
    assert.equal(errorCode(cross), 'BAD_USER_INPUT');
  });
});
