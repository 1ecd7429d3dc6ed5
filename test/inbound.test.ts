import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxAdapter } from '../src/channels/sandbox/sandbox.adapter';
import { ChannelKind } from '../src/modules/channel/channel-kind';
import { ContactIdentity } from '../src/modules/contact/contact-identity.entity';
import { Contact } from '../src/modules/contact/contact.entity';
import { ConversationSession } from '../src/modules/conversation/conversation-session.entity';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { Scope } from '../src/modules/auth/scopes';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection, SenderType } from '../src/modules/message/sender-type';
import { Reaction } from '../src/modules/reaction/reaction.entity';
import { InboundConversationStateDocument, SimulateInboundDocument } from './generated/graphql';
import { errorCode } from './helpers/client';
import { postSandboxWebhook, SandboxCarrier, sandboxSecretFor, testDeliveryConfig } from './helpers/delivery';
import { startTestServer, type TestServer } from './helpers/server';

describe('inbound customer messages and reactions', () => {
  let s: TestServer;
  const carrier = new SandboxCarrier();
  const delivery = testDeliveryConfig();
  let cloudInboxId: string;

  before(async () => {
    s = await startTestServer({
      sandbox: carrier,
      config: { delivery },
      beforeStart: async (db, demo) => {
        const em = db.em.fork();
        const cloud = em.create(Inbox, {
          tenantId: demo.tenant.id,
          name: 'WhatsApp Cloud',
          channel: ChannelKind.WHATSAPP,
          provider: 'whatsapp_cloud',
          senderAddress: '+14155550155',
          windowHours: null,
          humanAgentWindowHours: null,
          providerConfig: { phoneNumberId: '1', accessToken: 'x', appSecret: 'y' },
          createdAt: new Date(),
        });
        await em.flush();
        cloudInboxId = cloud.id;
      },
    });
  });
  after(async () => {
    carrier.close();
    await s.close();
  });

  const eventsOf = (conversationId: string, sinceSeq = 0) =>
    s.db.em.fork().find(DomainEvent, { conversationId, seq: { $gt: sinceSeq } }, { orderBy: { seq: 'asc' } });
  const lastSeq = async () =>
    Number((await s.db.em.fork().findOne(DomainEvent, { tenantId: s.demo.tenant.id }, { orderBy: { seq: 'desc' } }))?.seq ?? 0);
  const byName = (n: string) => s.demo.conversations.find((c) => c.name === n)!;

  test('a first message from a new number creates the contact and an open conversation, window open', async () => {
    const { simulateInboundMessage: r } = await s.client().data(SimulateInboundDocument, {
      inboxId: s.demo.whatsapp.id,
      from: '+48 601-222-333',
      text: '  Hi, is the shop open on Sunday?  ',
      name: 'Zofia Nowak',
    });
    assert.equal(r.message.direction, 'INBOUND');
    assert.equal(r.message.senderType, 'CUSTOMER');
    assert.equal(r.message.deliveryStatus, null);
    assert.deepEqual(r.message.content, { __typename: 'TextContent', body: 'Hi, is the shop open on Sunday?' });
    assert.match(r.message.channelMessageId ?? '', /^sandbox\.in\./);
    assert.equal(r.conversation.status, 'OPEN');
    assert.equal(r.conversation.externalId, '+48601222333');
    assert.equal(r.conversation.name, 'Zofia Nowak');
    assert.equal(r.conversation.contact.name, 'Zofia Nowak');
    assert.equal(r.conversation.lastMessagePreview, 'Hi, is the shop open on Sunday?');
    assert.equal(r.conversation.lastMessageSender, 'CUSTOMER');
    assert.equal(r.conversation.unreadCount, 1);
    assert.deepEqual(r.conversation.window, { canSend: true, reason: 'OPEN', expiresAt: r.conversation.window.expiresAt });

    const em = s.db.em.fork();
    const identity = await em.findOneOrFail(ContactIdentity, {
      tenantId: s.demo.tenant.id,
      channel: ChannelKind.WHATSAPP,
      address: '+48601222333',
    });
    assert.equal(identity.contactId, r.conversation.contact.id);
    assert.equal(await em.count(ConversationSession, { conversationId: r.conversation.id }), 1);
    const events = await eventsOf(r.conversation.id);
    assert.deepEqual(
      events.map((e) => e.type),
      [EventType.CONVERSATION_CREATED, EventType.MESSAGE_ADDED, EventType.WINDOW_OPENED],
    );
    assert.ok(events.every((e) => e.actorType === SenderType.CUSTOMER && e.actorId === identity.contactId));

    // The same customer writing again continues the same conversation; the window was open already.
    const since = await lastSeq();
    const second = await s
      .client()
      .data(SimulateInboundDocument, { inboxId: s.demo.whatsapp.id, from: '+48601222333', text: 'Hello?', name: null });
    assert.equal(second.simulateInboundMessage.conversation.id, r.conversation.id);
    assert.equal(second.simulateInboundMessage.conversation.unreadCount, 2);
    assert.deepEqual(
      (await eventsOf(r.conversation.id, since)).map((e) => e.type),
      [EventType.MESSAGE_ADDED],
    );
    assert.equal(await s.db.em.fork().count(Contact, { id: identity.contactId }), 1);
  });

  test('a message on a closed conversation reopens it with a new session and reopens the WhatsApp window', async () => {
    const david = byName('David Okafor');
    const before = await s.client().data(InboundConversationStateDocument, { id: david.id });
    assert.equal(before.conversation!.status, 'CLOSED');
    assert.equal(before.conversation!.window.canSend, false);
    assert.equal(before.conversation!.window.reason, 'EXPIRED');
    const sessionsBefore = await s.db.em.fork().find(ConversationSession, { conversationId: david.id });
    const since = await lastSeq();

    const { simulateInboundMessage: r } = await s.client().data(SimulateInboundDocument, {
      inboxId: s.demo.whatsapp.id,
      from: '+234 801 234 5678',
      text: 'The new address is wrong, sorry!',
      name: null,
    });
    assert.equal(r.conversation.id, david.id, 'the same thread, not a new one');
    assert.equal(r.conversation.status, 'OPEN');
    assert.equal(r.conversation.window.canSend, true);
    assert.equal(r.conversation.window.reason, 'OPEN');

    const after = await s.client().data(InboundConversationStateDocument, { id: david.id });
    assert.equal(after.conversation!.window.canSend, true);
    const em = s.db.em.fork();
    const sessions = await em.find(ConversationSession, { conversationId: david.id }, { orderBy: { openedAt: 'asc' } });
    assert.equal(sessions.length, sessionsBefore.length + 1);
    const conversation = await em.findOneOrFail(Conversation, david.id);
    const fresh = sessions.find((x) => !sessionsBefore.some((b) => b.id === x.id))!;
    assert.equal(conversation.currentSessionId, fresh.id);
    assert.equal(fresh.closedAt, null);
    const message = await em.findOneOrFail(Message, r.message.id);
    assert.equal(message.sessionId, fresh.id);
    assert.deepEqual(
      (await eventsOf(david.id, since)).map((e) => e.type),
      [EventType.CONVERSATION_REOPENED, EventType.MESSAGE_ADDED, EventType.WINDOW_OPENED],
    );
  });

  test('a provider redelivering the same customer message stores it once', async () => {
    const secret = await sandboxSecretFor(s.db, s.demo.sms.id, delivery);
    const event = {
      id: 'sbevt_redelivered',
      type: 'message' as const,
      timestamp: new Date().toISOString(),
      from: '+14155550123',
      message: { id: 'sandbox.in.redelivered', text: 'Are you there?' },
    };
    const first = await postSandboxWebhook(s.httpUrl, s.demo.sms.id, secret, [event]);
    const again = await postSandboxWebhook(s.httpUrl, s.demo.sms.id, secret, [event]);
    // Same provider message under a new event id (some providers do that): still one message.
    const renamed = await postSandboxWebhook(s.httpUrl, s.demo.sms.id, secret, [{ ...event, id: 'sbevt_redelivered_2' }]);
    assert.deepEqual(
      [first.body, again.body, renamed.body],
      [
        { received: 1, duplicates: 0 },
        { received: 1, duplicates: 1 },
        { received: 1, duplicates: 0 },
      ],
    );
    const messages = await s.db.em.fork().find(Message, { inboxId: s.demo.sms.id, channelMessageId: 'sandbox.in.redelivered' });
    assert.equal(messages.length, 1);
    assert.equal(messages[0].conversationId, byName('George Brown').id, 'George wrote from his known number');
    assert.equal(messages[0].direction, MessageDirection.INBOUND);
  });

  test('customer reactions are stored, replaced and removed through the sandbox webhook', async () => {
    const anna = byName('Anna Kowalska');
    const em = s.db.em.fork();
    const ours = await em.findOneOrFail(
      Message,
      { conversationId: anna.id, direction: MessageDirection.OUTBOUND, deliveryStatus: DeliveryStatus.READ },
      { orderBy: { id: 'asc' } },
    );
    const contactId = anna.contactId;
    const adapter = s.server.deps.channels.forInbox(await em.findOneOrFail(Inbox, s.demo.whatsapp.id));
    assert.ok(adapter instanceof SandboxAdapter);
    const react = (emoji: string | null) =>
      adapter.simulateReaction({ from: '+48123456789', channelMessageId: ours.channelMessageId!, emoji });
    const reactions = () => s.db.em.fork().find(Reaction, { messageId: ours.id, actorType: SenderType.CUSTOMER, actorId: contactId });
    const since = await lastSeq();

    assert.equal(await react('❤️'), 200);
    assert.deepEqual(
      (await reactions()).map((r) => r.emoji),
      ['❤️'],
    );
    assert.equal(await react('😂'), 200);
    assert.deepEqual(
      (await reactions()).map((r) => r.emoji),
      ['😂'],
      'one reaction per customer: replaced',
    );
    assert.equal(await react(null), 200);
    assert.deepEqual(await reactions(), []);

    const events = (await eventsOf(anna.id, since)).filter((e) => e.type === EventType.REACTION_CHANGED);
    assert.deepEqual(
      events.map((e) => [e.payload.emoji, e.payload.removed, e.payload.previousEmoji]),
      [
        ['❤️', false, null],
        ['😂', false, '❤️'],
        ['😂', true, '😂'],
      ],
    );
    const conversation = await s.db.em.fork().findOneOrFail(Conversation, anna.id);
    assert.equal(conversation.lastMessageId, anna.lastMessageId, 'a reaction is not a message');
  });

  test('simulateInboundMessage refuses what it cannot do and writes nothing', async () => {
    const em = s.db.em.fork();
    const counts = async () => ({
      messages: await s.db.em.fork().count(Message, {}),
      contacts: await s.db.em.fork().count(Contact, {}),
      events: await s.db.em.fork().count(DomainEvent, {}),
    });
    const before = await counts();

    const real = await s.client().request(SimulateInboundDocument, { inboxId: cloudInboxId, from: '+48601000111', text: 'hi', name: null });
    assert.equal(errorCode(real), 'BAD_USER_INPUT');
    assert.deepEqual(
      (real.errors![0].extensions!.fields as { field: string }[]).map((f) => f.field),
      ['inboxId'],
    );

    const bad = await s
      .client()
      .request(SimulateInboundDocument, { inboxId: s.demo.whatsapp.id, from: '601 000 111', text: '   ', name: null });
    assert.equal(errorCode(bad), 'BAD_USER_INPUT');
    assert.deepEqual(
      (bad.errors![0].extensions!.fields as { field: string }[]).map((f) => f.field),
      ['from', 'text'],
    );

    const tooLong = await s
      .client()
      .request(SimulateInboundDocument, { inboxId: s.demo.sms.id, from: '+14155550123', text: 'x'.repeat(1601), name: null });
    assert.equal(errorCode(tooLong), 'BAD_USER_INPUT');

    // The SMS agent does not work the WhatsApp inbox: it does not exist for them.
    const hidden = await s
      .client(s.tokens.smsAgent)
      .request(SimulateInboundDocument, { inboxId: s.demo.whatsapp.id, from: '+48601000111', text: 'hi', name: null });
    assert.equal(errorCode(hidden), 'NOT_FOUND');

    const readOnly = await s.token('owner', [Scope.CONVERSATION_READ]);
    const forbidden = await s
      .client(readOnly)
      .request(SimulateInboundDocument, { inboxId: s.demo.whatsapp.id, from: '+48601000111', text: 'hi', name: null });
    assert.equal(errorCode(forbidden), 'FORBIDDEN');

    const anonymous = await s
      .client(null)
      .request(SimulateInboundDocument, { inboxId: s.demo.whatsapp.id, from: '+48601000111', text: 'hi', name: null });
    assert.equal(errorCode(anonymous), 'UNAUTHENTICATED');

    assert.deepEqual(await counts(), before);
    assert.equal(await em.count(ContactIdentity, { address: '+48601000111' }), 0);
  });
});
