import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SendMessageDocument, type SendMessageInput, type SendMessageMutation } from './generated/graphql';
import { errorCode, type GqlResponse } from './helpers/client';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { Scope } from '../src/modules/auth/scopes';
import { ChannelKind } from '../src/modules/channel/channel-kind';
import { MB } from '../src/modules/channel/channel-rules';
import { ContactIdentity } from '../src/modules/contact/contact-identity.entity';
import { Contact } from '../src/modules/contact/contact.entity';
import { ConversationSession } from '../src/modules/conversation/conversation-session.entity';
import { ConversationStatus } from '../src/modules/conversation/conversation-status';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { OutboxEntry, OutboxState } from '../src/modules/delivery/outbox-entry.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { EventType } from '../src/modules/event/event-type';
import type { EventMessage } from '../src/modules/event/event.service';
import { IdempotencyRecord } from '../src/modules/idempotency/idempotency-record.entity';
import { Media } from '../src/modules/media/media.entity';
import { MediaKind } from '../src/modules/message/content-kind';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { Topics } from '../src/pubsub/pubsub';
import { seedDemo, type DemoWorkspace } from '../src/seed/demo';

type Sent = SendMessageMutation['sendMessage'];

const byName = (s: TestServer, name: string) => s.demo.conversations.find((c) => c.name === name)!;
const toConversation = (s: TestServer, name: string) => ({ conversation: { conversationId: byName(s, name).id } });
const text = (body: string) => ({ text: { body } });
const orderReady = {
  template: { name: 'order_ready', language: 'en', components: [{ type: 'BODY' as const, parameters: [{ text: '4827' }] }] },
};

/** The event types a send appends (the delivery worker and window scheduler add others meanwhile). */
const SEND_EVENTS = [EventType.MESSAGE_ADDED, EventType.CONVERSATION_CREATED, EventType.CONVERSATION_REOPENED];

/** Every row a send may write, counted straight from the database. */
async function counts(s: TestServer) {
  const em = s.db.em.fork();
  return {
    messages: await em.count(Message, {}),
    conversations: await em.count(Conversation, {}),
    sessions: await em.count(ConversationSession, {}),
    contacts: await em.count(Contact, {}),
    identities: await em.count(ContactIdentity, {}),
    outbox: await em.count(OutboxEntry, {}),
    events: await em.count(DomainEvent, { type: { $in: SEND_EVENTS } }),
    idempotencyRecords: await em.count(IdempotencyRecord, {}),
  };
}

function send(s: TestServer, input: SendMessageInput, token?: string): Promise<GqlResponse<SendMessageMutation>> {
  return s.client(token).request(SendMessageDocument, { input });
}

async function sent(s: TestServer, input: SendMessageInput, token?: string): Promise<Sent> {
  const res = await send(s, input, token);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!.sendMessage;
}

function fieldsOf(res: GqlResponse<unknown>): string[] {
  return ((res.errors?.[0]?.extensions?.fields ?? []) as { field: string }[]).map((f) => f.field);
}

/** Sends, expects `code`, and checks that not a single row was written anywhere. */
async function refused(s: TestServer, input: SendMessageInput, code: string, token?: string): Promise<GqlResponse<SendMessageMutation>> {
  const before = await counts(s);
  const res = await send(s, input, token);
  assert.equal(errorCode(res), code, JSON.stringify(res.errors));
  assert.equal(res.data ?? null, null);
  assert.deepEqual(await counts(s), before, 'a refused send wrote something');
  return res;
}

/**
 * The next published event of `types` for `conversationId`. Sends publish before they answer, so
 * the event is already queued; the timer only turns a missing event into a failure, not a hang.
 */
async function nextEvent(events: AsyncIterableIterator<EventMessage>, conversationId: string, types = SEND_EVENTS): Promise<EventMessage> {
  let timer: NodeJS.Timeout | undefined;
  const missing = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no ${types.join('/')} event for ${conversationId}`)), 5000)),
  );
  try {
    for (;;) {
      const { value, done } = await Promise.race([events.next(), missing]);
      if (done) throw new Error('subscription ended');
      if (types.includes(value.type) && value.conversationId === conversationId) return value;
    }
  } finally {
    clearTimeout(timer);
  }
}

function messageRow(s: TestServer, id: string): Promise<Message> {
  return s.db.em.fork().findOneOrFail(Message, { id });
}

function conversationRow(s: TestServer, id: string): Promise<Conversation> {
  return s.db.em.fork().findOneOrFail(Conversation, { id });
}

async function addMedia(
  s: TestServer,
  tenantId: string,
  facts: { mediaKind: MediaKind; mimeType: string; size: number; filename: string },
): Promise<string> {
  const em = s.db.em.fork();
  const media = em.create(Media, {
    tenantId,
    uploadedById: null,
    ...facts,
    sha256: 'a'.repeat(64),
    storageKey: `test/${facts.filename}`,
    idempotencyKey: null,
    createdAt: new Date(),
  });
  await em.flush();
  return media.id;
}

/**
 * Idempotency and concurrency, on whichever database `server()` runs: the guarantees rest on
 * a unique index and transaction behaviour, which differ between SQLite and PostgreSQL.
 */
function idempotencyTests(server: () => TestServer | null) {
  test('the same key twice returns the original message and writes once', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const input: SendMessageInput = {
      recipient: toConversation(s, 'Anna Kowalska'),
      content: text('Retry-safe hello'),
      idempotencyKey: 'key-same-twice',
      clientMessageId: 'c-1',
    };
    const before = await counts(s);
    const first = await sent(s, input);
    const afterFirst = await counts(s);
    assert.deepEqual(
      {
        messages: afterFirst.messages - before.messages,
        outbox: afterFirst.outbox - before.outbox,
        events: afterFirst.events - before.events,
        records: afterFirst.idempotencyRecords - before.idempotencyRecords,
      },
      { messages: 1, outbox: 1, events: 1, records: 1 },
    );
    const second = await sent(s, input);
    assert.equal(second.message.id, first.message.id);
    assert.equal(second.conversation.id, first.conversation.id);
    assert.equal(second.conversation.lastMessage?.id, first.message.id);
    assert.deepEqual(await counts(s), afterFirst, 'the repeat wrote something');
    assert.equal(await s.db.em.fork().count(Message, { clientMessageId: 'c-1' }), 1);
  });

  test('the same key with another payload is IDEMPOTENCY_CONFLICT and changes nothing', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    await sent(s, { recipient: toConversation(s, 'Anna Kowalska'), content: text('First payload'), idempotencyKey: 'key-conflict' });
    const res = await refused(
      s,
      { recipient: toConversation(s, 'Anna Kowalska'), content: text('Second payload'), idempotencyKey: 'key-conflict' },
      'IDEMPOTENCY_CONFLICT',
    );
    assert.equal(res.errors![0].extensions!.idempotencyKey, 'key-conflict');
  });

  test('the same key and payload from another user is a different request (conflict)', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const input: SendMessageInput = {
      recipient: toConversation(s, 'Anna Kowalska'),
      content: text('Owner wrote this'),
      idempotencyKey: 'key-per-user',
    };
    await sent(s, input);
    await refused(s, input, 'IDEMPOTENCY_CONFLICT', s.tokens.admin);
  });

  test('five concurrent duplicates over HTTP resolve to exactly one message', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const input: SendMessageInput = {
      recipient: toConversation(s, 'Bruno Silva'),
      content: text('Sim, enviamos para o Brasil!'),
      idempotencyKey: 'key-parallel',
      clientMessageId: 'c-parallel',
    };
    const before = await counts(s);
    const results = await Promise.all(Array.from({ length: 5 }, () => send(s, input)));
    for (const res of results) assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const ids = new Set(results.map((r) => r.data!.sendMessage.message.id));
    assert.equal(ids.size, 1, 'every duplicate must get the same message');
    assert.equal(await s.db.em.fork().count(Message, { clientMessageId: 'c-parallel' }), 1);
    const now = await counts(s);
    assert.deepEqual(
      { messages: now.messages - before.messages, outbox: now.outbox - before.outbox, events: now.events - before.events },
      { messages: 1, outbox: 1, events: 1 },
    );
  });

  test('five concurrent first messages to one new address share one contact and one conversation', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const before = await counts(s);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        send(s, { recipient: { channel: { inboxId: s.demo.sms.id, address: '+1 415 555 0166' } }, content: text(`Burst ${i}`) }),
      ),
    );
    for (const res of results) assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const conversations = new Set(results.map((r) => r.data!.sendMessage.conversation.id));
    assert.equal(conversations.size, 1);
    const now = await counts(s);
    assert.deepEqual(
      {
        messages: now.messages - before.messages,
        contacts: now.contacts - before.contacts,
        conversations: now.conversations - before.conversations,
      },
      { messages: 5, contacts: 1, conversations: 1 },
    );
  });

  test('an expired key can be used again', async (t) => {
    const s = server();
    if (!s) return t.skip('database unavailable');
    const first = await sent(s, {
      recipient: toConversation(s, 'Anna Kowalska'),
      content: text('Yesterday'),
      idempotencyKey: 'key-expiring',
    });
    const em = s.db.em.fork();
    const record = await em.findOneOrFail(IdempotencyRecord, { key: 'key-expiring' });
    assert.ok(record.expiresAt.getTime() - record.createdAt.getTime() >= 24 * 3600 * 1000, 'kept at least 24 h');
    record.expiresAt = new Date(Date.now() - 1000);
    await em.flush();
    const second = await sent(s, {
      recipient: toConversation(s, 'Anna Kowalska'),
      content: text('Today, something else'),
      idempotencyKey: 'key-expiring',
    });
    assert.notEqual(second.message.id, first.message.id);
    assert.equal(await s.db.em.fork().count(IdempotencyRecord, { key: 'key-expiring' }), 1);
  });
}

describe('sendMessage', () => {
  let s: TestServer;
  let foreign: DemoWorkspace;
  before(async () => {
    // What sendMessage writes, with no worker racing to deliver it (delivery has its own tests).
    s = await startTestServer({
      deliveryWorker: false,
      beforeStart: async (db) => {
        foreign = await seedDemo(db.em.fork());
      },
    });
  });
  after(() => s.close());

  test('text to a conversation: PENDING, queued for delivery, conversation preview updated, events published', async () => {
    const anna = byName(s, 'Anna Kowalska');
    const events = s.server.deps.pubsub.subscribe<EventMessage>(Topics.tenant(s.demo.tenant.id));
    try {
      const before = await counts(s);
      const out = await sent(s, {
        recipient: toConversation(s, 'Anna Kowalska'),
        content: text('See you at 5pm, Anna!'),
        clientMessageId: 'client-42',
      });
      assert.equal(out.message.deliveryStatus, 'PENDING');
      assert.equal(out.message.direction, 'OUTBOUND');
      assert.equal(out.message.senderType, 'USER');
      assert.equal(out.message.clientMessageId, 'client-42');
      assert.deepEqual(
        out.message.statusHistory.map((h) => h.status),
        ['PENDING'],
      );
      assert.ok(out.message.lastStatusAt);
      assert.deepEqual(out.message.content, { __typename: 'TextContent', body: 'See you at 5pm, Anna!', smsSegments: null });
      assert.deepEqual(out.message.sender, { __typename: 'User', id: s.demo.owner.id });
      assert.equal(out.conversation.id, anna.id);
      assert.equal(out.conversation.lastMessagePreview, 'See you at 5pm, Anna!');
      assert.equal(out.conversation.lastMessageSender, 'USER');
      assert.equal(out.conversation.lastMessage?.id, out.message.id);
      assert.equal(out.conversation.lastActivityAt, out.message.createdAt);

      const row = await conversationRow(s, anna.id);
      assert.equal(row.lastMessagePreview, 'See you at 5pm, Anna!');
      assert.equal(row.lastMessageId, out.message.id);
      const message = await messageRow(s, out.message.id);
      assert.equal(message.sessionId, row.currentSessionId);
      assert.equal(message.senderUserId, s.demo.owner.id);
      const outbox = await s.db.em.fork().findOneOrFail(OutboxEntry, { messageId: out.message.id });
      assert.equal(outbox.state, OutboxState.PENDING);
      assert.equal(outbox.inboxId, s.demo.whatsapp.id);
      const now = await counts(s);
      assert.deepEqual(
        {
          messages: now.messages - before.messages,
          outbox: now.outbox - before.outbox,
          events: now.events - before.events,
          conversations: now.conversations - before.conversations,
        },
        { messages: 1, outbox: 1, events: 1, conversations: 0 },
      );

      const published = await nextEvent(events, anna.id);
      assert.equal(published.type, EventType.MESSAGE_ADDED);
      assert.equal(published.messageId, out.message.id);
      assert.equal(published.conversationId, anna.id);
      assert.equal(published.causationId, 'client-42');
      assert.equal(published.actorId, s.demo.owner.id);
    } finally {
      await events.return?.();
    }
  });

  test('an agent sends in their inbox; a bot sends as BOT', async () => {
    const byAgent = await sent(
      s,
      { recipient: toConversation(s, 'Farah Haddad'), content: text('Yes, size M is in stock.') },
      s.tokens.agent,
    );
    assert.equal(byAgent.message.senderType, 'USER');
    assert.deepEqual(byAgent.message.sender, { __typename: 'User', id: s.demo.agent.id });
    const byBot = await sent(s, { recipient: toConversation(s, 'Farah Haddad'), content: text('A teammate is on it.') }, s.tokens.bot);
    assert.equal(byBot.message.senderType, 'BOT');
    assert.equal(byBot.conversation.lastMessageSender, 'BOT');
  });

  test('first message to a raw address creates contact and conversation; another spelling reuses them', async () => {
    const events = s.server.deps.pubsub.subscribe<EventMessage>(Topics.tenant(s.demo.tenant.id));
    try {
      const before = await counts(s);
      const first = await sent(s, {
        recipient: { channel: { inboxId: s.demo.sms.id, address: '+1 (415) 555-0177' } },
        content: text('Your table is booked for 8pm.'),
      });
      assert.equal(first.conversation.externalId, '+14155550177');
      assert.equal(first.conversation.channel, 'SMS');
      assert.equal(first.conversation.status, 'OPEN');
      assert.equal(first.conversation.inbox.id, s.demo.sms.id);
      assert.deepEqual(first.conversation.contact.identities, [{ channel: 'SMS', address: '+14155550177' }]);
      assert.equal(first.conversation.lastMessagePreview, 'Your table is booked for 8pm.');
      const afterFirst = await counts(s);
      assert.deepEqual(
        {
          contacts: afterFirst.contacts - before.contacts,
          identities: afterFirst.identities - before.identities,
          conversations: afterFirst.conversations - before.conversations,
          sessions: afterFirst.sessions - before.sessions,
          messages: afterFirst.messages - before.messages,
          events: afterFirst.events - before.events,
        },
        { contacts: 1, identities: 1, conversations: 1, sessions: 1, messages: 1, events: 2 },
      );
      const created = await nextEvent(events, first.conversation.id);
      const added = await nextEvent(events, first.conversation.id);
      assert.deepEqual([created.type, added.type], [EventType.CONVERSATION_CREATED, EventType.MESSAGE_ADDED]);
      assert.ok(created.seq < added.seq);
      assert.equal(created.conversationId, first.conversation.id);

      const second = await sent(s, {
        recipient: { channel: { inboxId: s.demo.sms.id, address: '001-415-555-0177' } },
        content: text('See you tonight!'),
      });
      assert.equal(second.conversation.id, first.conversation.id);
      assert.equal(second.conversation.contact.id, first.conversation.contact.id);
      const afterSecond = await counts(s);
      assert.deepEqual(
        { contacts: afterSecond.contacts, conversations: afterSecond.conversations, messages: afterSecond.messages - afterFirst.messages },
        { contacts: afterFirst.contacts, conversations: afterFirst.conversations, messages: 1 },
      );
    } finally {
      await events.return?.();
    }
  });

  test('a raw address of a known customer continues their open conversation', async () => {
    const anna = byName(s, 'Anna Kowalska');
    const out = await sent(s, {
      recipient: { channel: { inboxId: s.demo.whatsapp.id, address: '0048 123 456 789' } },
      content: text('Also: we close at 6pm.'),
    });
    assert.equal(out.conversation.id, anna.id);
  });

  test('a first WhatsApp message must be a template: text is WINDOW_CLOSED and creates no contact', async () => {
    const res = await refused(
      s,
      { recipient: { channel: { inboxId: s.demo.whatsapp.id, address: '+44 20 7946 0958' } }, content: text('Hello!') },
      'WINDOW_CLOSED',
    );
    assert.equal(res.errors![0].extensions!.reason, 'NO_CUSTOMER_MESSAGE');
    assert.deepEqual(res.errors![0].extensions!.allowedContent, ['TEMPLATE', 'NOTE']);
    const out = await sent(s, {
      recipient: { channel: { inboxId: s.demo.whatsapp.id, address: '+44 (0)20 7946 0958' } },
      content: orderReady,
    });
    assert.equal(out.conversation.externalId, '+442079460958');
    assert.equal(out.message.deliveryStatus, 'PENDING');
    assert.equal(out.conversation.lastMessagePreview, 'order_ready');
  });

  test('an address that is not a phone number is BAD_USER_INPUT', async () => {
    const res = await refused(
      s,
      { recipient: { channel: { inboxId: s.demo.sms.id, address: 'call me maybe' } }, content: text('Hi') },
      'BAD_USER_INPUT',
    );
    assert.deepEqual(fieldsOf(res), ['input.recipient.channel.address']);
  });

  test('a contact with two routes needs a channel; with one it goes to that route', async () => {
    const anna = byName(s, 'Anna Kowalska');
    const em = s.db.em.fork();
    em.create(ContactIdentity, {
      tenantId: s.demo.tenant.id,
      contactId: anna.contactId,
      channel: ChannelKind.SMS,
      address: '+48123456789',
    });
    await em.flush();

    const res = await refused(
      s,
      { recipient: { contact: { contactId: anna.contactId } }, content: text('Which number?') },
      'BAD_USER_INPUT',
    );
    assert.deepEqual(fieldsOf(res), ['input.recipient.contact.channel']);
    assert.deepEqual(res.errors![0].extensions!.routes, [
      { channel: 'WHATSAPP', address: '+48123456789' },
      { channel: 'SMS', address: '+48123456789' },
    ]);

    const onWhatsApp = await sent(s, {
      recipient: { contact: { contactId: anna.contactId, channel: 'WHATSAPP' } },
      content: text('Via WhatsApp'),
    });
    assert.equal(onWhatsApp.conversation.id, anna.id);

    const before = await counts(s);
    const onSms = await sent(s, { recipient: { contact: { contactId: anna.contactId, channel: 'SMS' } }, content: text('Via SMS') });
    assert.notEqual(onSms.conversation.id, anna.id);
    assert.equal(onSms.conversation.channel, 'SMS');
    assert.equal(onSms.conversation.inbox.id, s.demo.sms.id);
    assert.equal(onSms.conversation.contact.id, anna.contactId);
    assert.equal((await counts(s)).conversations, before.conversations + 1);

    // The WhatsApp-only agent has no SMS inbox to reach her through.
    await refused(
      s,
      { recipient: { contact: { contactId: anna.contactId, channel: 'SMS' } }, content: text('Via SMS?') },
      'BAD_USER_INPUT',
      s.tokens.agent,
    );
  });

  test('outside the window: a note and a template go, text is WINDOW_CLOSED with what is allowed', async () => {
    const chloe = byName(s, 'Chloé Martin');
    const before = await conversationRow(s, chloe.id);

    const note = await sent(
      s,
      { recipient: toConversation(s, 'Chloé Martin'), content: { note: { body: 'Replacement shipped via DHL.' } } },
      s.tokens.agent,
    );
    assert.equal(note.message.direction, 'INTERNAL');
    assert.equal(note.message.deliveryStatus, null);
    assert.deepEqual(note.message.statusHistory, []);
    assert.deepEqual(note.message.content, { __typename: 'NoteContent', body: 'Replacement shipped via DHL.' });
    // Notes leave the inbox list alone: same preview, same place.
    assert.equal(note.conversation.lastMessagePreview, before.lastMessagePreview);
    assert.equal(note.conversation.lastActivityAt, before.lastActivityAt.toISOString());
    assert.equal(await s.db.em.fork().count(OutboxEntry, { messageId: note.message.id }), 0, 'notes are never delivered');

    const res = await refused(
      s,
      { recipient: toConversation(s, 'Chloé Martin'), content: text('Any news?') },
      'WINDOW_CLOSED',
      s.tokens.agent,
    );
    assert.deepEqual(
      {
        reason: res.errors![0].extensions!.reason,
        allowedContent: res.errors![0].extensions!.allowedContent,
        expiresAt: res.errors![0].extensions!.expiresAt,
      },
      { reason: 'EXPIRED', allowedContent: ['TEMPLATE', 'NOTE'], expiresAt: null },
    );

    // A refused send does not use up its idempotency key: the corrected retry goes through.
    await refused(
      s,
      { recipient: toConversation(s, 'Chloé Martin'), content: text('Any news?'), idempotencyKey: 'chloe-refund' },
      'WINDOW_CLOSED',
      s.tokens.agent,
    );
    const template = await sent(
      s,
      {
        idempotencyKey: 'chloe-refund',
        recipient: toConversation(s, 'Chloé Martin'),
        content: {
          template: {
            name: 'refund_issued',
            language: 'fr',
            components: [
              { type: 'BODY', parameters: [{ text: 'Chloé' }, { currency: { fallbackValue: '€12.50', code: 'EUR', amount1000: 12500 } }] },
            ],
          },
        },
      },
      s.tokens.agent,
    );
    assert.equal(template.message.deliveryStatus, 'PENDING');
    assert.equal(template.conversation.lastMessagePreview, 'refund_issued');
    assert.deepEqual(template.message.content, {
      __typename: 'TemplateContent',
      name: 'refund_issued',
      language: 'fr',
      components: [
        {
          type: 'BODY',
          subType: null,
          index: null,
          parameters: [
            { type: 'TEXT', text: 'Chloé', code: null, amount1000: null, fallbackValue: null },
            { type: 'CURRENCY', text: null, code: 'EUR', amount1000: 12500, fallbackValue: '€12.50' },
          ],
        },
      ],
    });
  });

  test('a customer who never wrote can get a template, not text', async () => {
    const res = await refused(s, { recipient: toConversation(s, 'Emma Fischer'), content: text('Reminder!') }, 'WINDOW_CLOSED');
    assert.equal(res.errors![0].extensions!.reason, 'NO_CUSTOMER_MESSAGE');
  });

  test('content the channel cannot carry is UNSUPPORTED_CONTENT naming the field', async () => {
    const rich = await refused(
      s,
      {
        recipient: toConversation(s, 'Anna Kowalska'),
        content: { rich: { cards: [{ header: { title: 'Pickup' }, actions: [{ type: 'REPLY', label: 'OK', value: 'ok' }] }] } },
      },
      'UNSUPPORTED_CONTENT',
    );
    assert.deepEqual(fieldsOf(rich), ['input.content.rich']);
    assert.equal(rich.errors![0].extensions!.channel, 'WHATSAPP');
    assert.ok(!(rich.errors![0].extensions!.supportedContent as string[]).includes('RICH'));

    const template = await refused(s, { recipient: toConversation(s, 'George Brown'), content: orderReady }, 'UNSUPPORTED_CONTENT');
    assert.deepEqual(fieldsOf(template), ['input.content.template']);

    const long = await refused(
      s,
      { recipient: toConversation(s, 'Anna Kowalska'), content: text('a'.repeat(4097)) },
      'UNSUPPORTED_CONTENT',
    );
    assert.deepEqual(fieldsOf(long), ['input.content.text.body']);
    const longest = await sent(s, { recipient: toConversation(s, 'Anna Kowalska'), content: text('a'.repeat(4096)) });
    assert.equal(longest.message.deliveryStatus, 'PENDING');

    await refused(s, { recipient: toConversation(s, 'George Brown'), content: text('x'.repeat(1601)) }, 'UNSUPPORTED_CONTENT');
  });

  test('SMS records the billed segments', async () => {
    const out = await sent(s, { recipient: toConversation(s, 'George Brown'), content: text('x'.repeat(200)) });
    assert.deepEqual(out.message.content, { __typename: 'TextContent', body: 'x'.repeat(200), smsSegments: 2 });
    const stored = await messageRow(s, out.message.id);
    assert.equal((stored.content as { smsSegments?: number }).smsSegments, 2);
    const unicode = await sent(s, { recipient: toConversation(s, 'George Brown'), content: text('On my way 🚗') });
    assert.equal((unicode.message.content as { smsSegments: number }).smsSegments, 1);
  });

  test('malformed input is BAD_USER_INPUT naming the field', async () => {
    // `as never`: the generated @oneOf input types already refuse these at compile time; the server must too.
    const cases: [SendMessageInput, string][] = [
      [{ recipient: toConversation(s, 'Anna Kowalska'), content: text('   ') }, 'input.content.text.body'],
      [{ recipient: toConversation(s, 'Anna Kowalska'), content: { note: { body: '' } } }, 'input.content.note.body'],
      [{ recipient: toConversation(s, 'Anna Kowalska'), content: { ...text('a'), note: { body: 'b' } } as never }, 'input.content'],
      [{ recipient: toConversation(s, 'Anna Kowalska'), content: {} as never }, 'input.content'],
      [
        {
          recipient: { ...toConversation(s, 'Anna Kowalska'), contact: { contactId: byName(s, 'Anna Kowalska').contactId } } as never,
          content: text('a'),
        },
        'input.recipient',
      ],
      [{ recipient: { conversation: { conversationId: 'not-an-id' } }, content: text('a') }, 'input.recipient.conversation.conversationId'],
      [
        { recipient: toConversation(s, 'Anna Kowalska'), content: { media: { url: 'http://cdn.example.com/a.jpg', mediaKind: 'IMAGE' } } },
        'input.content.media.url',
      ],
      [
        { recipient: toConversation(s, 'Anna Kowalska'), content: { media: { url: 'https://cdn.example.com/a.jpg' } } },
        'input.content.media.mediaKind',
      ],
      [
        { recipient: toConversation(s, 'Chloé Martin'), content: { template: { name: 'Order Ready!', language: 'en', components: [] } } },
        'input.content.template.name',
      ],
      [
        {
          recipient: toConversation(s, 'Chloé Martin'),
          content: {
            template: {
              name: 'order_ready',
              language: 'en',
              components: [
                { type: 'BODY', parameters: [{ text: 'a', currency: { fallbackValue: '1', code: 'EUR', amount1000: 1 } } as never] },
              ],
            },
          },
        },
        'input.content.template.components[0].parameters[0]',
      ],
      [{ recipient: toConversation(s, 'Anna Kowalska'), content: text('a'), idempotencyKey: '' }, 'input.idempotencyKey'],
      [{ recipient: toConversation(s, 'Anna Kowalska'), content: text('a'), inboxId: s.demo.sms.id }, 'input.inboxId'],
    ];
    for (const [input, field] of cases) {
      const res = await refused(s, input, 'BAD_USER_INPUT');
      assert.deepEqual(fieldsOf(res), [field], JSON.stringify(res.errors));
    }
  });

  test('media: uploads are checked by their sniffed type and size; unknown uploads are NOT_FOUND', async () => {
    const photo = await addMedia(s, s.demo.tenant.id, {
      mediaKind: MediaKind.IMAGE,
      mimeType: 'image/jpeg',
      size: 120_000,
      filename: 'shelf.jpg',
    });
    const out = await sent(s, {
      recipient: toConversation(s, 'Farah Haddad'),
      content: { media: { mediaId: photo, caption: 'The blue one, size M' } },
    });
    const { url, ...content } = out.message.content as { url: string | null };
    // Uploads get a signed URL on every read (the signature differs with its expiry).
    assert.match(url ?? '', new RegExp(`^/media/${photo}\\?exp=\\d+&sig=`));
    assert.deepEqual(content, {
      __typename: 'MediaContent',
      mediaKind: 'IMAGE',
      mediaId: photo,
      mimeType: 'image/jpeg',
      filename: 'shelf.jpg',
      caption: 'The blue one, size M',
    });
    assert.equal(out.conversation.lastMessagePreview, 'The blue one, size M');

    const huge = await addMedia(s, s.demo.tenant.id, {
      mediaKind: MediaKind.IMAGE,
      mimeType: 'image/jpeg',
      size: 6 * MB,
      filename: 'huge.jpg',
    });
    const tooBig = await refused(
      s,
      { recipient: toConversation(s, 'Farah Haddad'), content: { media: { mediaId: huge } } },
      'UNSUPPORTED_CONTENT',
    );
    assert.deepEqual(fieldsOf(tooBig), ['input.content.media.mediaId']);

    const pdf = await addMedia(s, s.demo.tenant.id, {
      mediaKind: MediaKind.DOCUMENT,
      mimeType: 'application/pdf',
      size: 80_000,
      filename: 'invoice.pdf',
    });
    const noDocsOnSms = await refused(
      s,
      { recipient: toConversation(s, 'George Brown'), content: { media: { mediaId: pdf } } },
      'UNSUPPORTED_CONTENT',
    );
    assert.deepEqual(fieldsOf(noDocsOnSms), ['input.content.media.mediaKind']);

    const hosted = await sent(s, {
      recipient: toConversation(s, 'George Brown'),
      content: { media: { url: 'https://cdn.example.com/maps/route.png', mediaKind: 'IMAGE' } },
    });
    assert.equal((hosted.message.content as { filename: string }).filename, 'route.png');

    const theirs = await addMedia(s, foreign.tenant.id, {
      mediaKind: MediaKind.IMAGE,
      mimeType: 'image/jpeg',
      size: 1000,
      filename: 'x.jpg',
    });
    await refused(s, { recipient: toConversation(s, 'Farah Haddad'), content: { media: { mediaId: theirs } } }, 'NOT_FOUND');
    await refused(
      s,
      { recipient: toConversation(s, 'Farah Haddad'), content: { media: { mediaId: 'mda_01J0000000000000000000000Z' } } },
      'NOT_FOUND',
    );
  });

  test('a conversation or inbox the viewer cannot see is NOT_FOUND', async () => {
    // The agent works WhatsApp only, the SMS agent SMS only.
    await refused(s, { recipient: toConversation(s, 'George Brown'), content: text('Hi') }, 'NOT_FOUND', s.tokens.agent);
    await refused(s, { recipient: toConversation(s, 'Anna Kowalska'), content: text('Hi') }, 'NOT_FOUND', s.tokens.smsAgent);
    await refused(
      s,
      { recipient: { channel: { inboxId: s.demo.sms.id, address: '+14155550111' } }, content: text('Hi') },
      'NOT_FOUND',
      s.tokens.agent,
    );
    await refused(
      s,
      { recipient: toConversation(s, 'Anna Kowalska'), content: text('Hi'), inboxId: s.demo.sms.id },
      'NOT_FOUND',
      s.tokens.agent,
    );
    // Another workspace's rows, even with the owner's token.
    const theirs = foreign.conversations.find((c) => c.name === 'Anna Kowalska')!;
    const res = await refused(s, { recipient: { conversation: { conversationId: theirs.id } }, content: text('Hi') }, 'NOT_FOUND');
    assert.equal(res.errors![0].extensions!.id, theirs.id);
    await refused(s, { recipient: { contact: { contactId: theirs.contactId } }, content: text('Hi') }, 'NOT_FOUND');
    await refused(
      s,
      { recipient: { channel: { inboxId: foreign.whatsapp.id, address: '+48123456789' } }, content: orderReady },
      'NOT_FOUND',
    );
    await refused(
      s,
      { recipient: { conversation: { conversationId: 'cnv_01J0000000000000000000000Z' } }, content: text('Hi') },
      'NOT_FOUND',
    );
  });

  test('without message:create the send is FORBIDDEN', async () => {
    const token = await s.token('owner', [Scope.CONVERSATION_READ, Scope.CONVERSATION_LIST]);
    const res = await refused(s, { recipient: toConversation(s, 'Anna Kowalska'), content: text('Hi') }, 'FORBIDDEN', token);
    assert.deepEqual(res.errors![0].extensions!.missingScopes, [Scope.MESSAGE_CREATE]);
  });

  test('replies must quote a message of the same conversation', async () => {
    const [bruno] = await s.db.em
      .fork()
      .find(Message, { conversationId: byName(s, 'Bruno Silva').id }, { orderBy: { id: 'asc' }, limit: 1 });
    const res = await refused(
      s,
      { recipient: toConversation(s, 'Anna Kowalska'), content: text('Re'), replyToMessageId: bruno.id },
      'BAD_USER_INPUT',
    );
    assert.deepEqual(fieldsOf(res), ['input.replyToMessageId']);
    const [anna] = await s.db.em
      .fork()
      .find(Message, { conversationId: byName(s, 'Anna Kowalska').id }, { orderBy: { id: 'asc' }, limit: 1 });
    const out = await sent(s, { recipient: toConversation(s, 'Anna Kowalska'), content: text('Yes, #4827.'), replyToMessageId: anna.id });
    assert.equal(out.message.replyTo?.id, anna.id);
  });

  test('sending to a CLOSED conversation reopens it with a new session; a note leaves it closed', async () => {
    const ivan = byName(s, 'Ivan Petrov');
    const em = s.db.em.fork();
    const oldSessions = await em.find(ConversationSession, { conversationId: ivan.id });
    assert.equal(oldSessions.length, 1);
    assert.ok(oldSessions[0].closedAt);

    const note = await sent(s, {
      recipient: toConversation(s, 'Ivan Petrov'),
      content: { note: { body: 'Invoice paid by bank transfer.' } },
    });
    assert.equal(note.conversation.status, 'CLOSED');
    assert.equal(await s.db.em.fork().count(ConversationSession, { conversationId: ivan.id }), 1);

    const out = await sent(s, { recipient: toConversation(s, 'Ivan Petrov'), content: text('Your next invoice is ready.') });
    assert.equal(out.conversation.status, 'OPEN');
    const row = await conversationRow(s, ivan.id);
    assert.equal(row.status, ConversationStatus.OPEN);
    const sessions = await s.db.em.fork().find(ConversationSession, { conversationId: ivan.id }, { orderBy: { openedAt: 'asc' } });
    assert.equal(sessions.length, 2);
    assert.ok(sessions[0].closedAt, 'the old session stays closed');
    assert.equal(sessions[1].closedAt, null);
    assert.equal(row.currentSessionId, sessions[1].id);
    assert.equal((await messageRow(s, out.message.id)).sessionId, sessions[1].id);
    const reopened = await s.db.em.fork().find(DomainEvent, { conversationId: ivan.id, type: EventType.CONVERSATION_REOPENED });
    assert.equal(reopened.length, 1);
    assert.equal(reopened[0].payload.sessionId, sessions[1].id);

    // David's window is long shut: a template is what reopens his thread.
    await refused(s, { recipient: toConversation(s, 'David Okafor'), content: text('Hi David') }, 'WINDOW_CLOSED');
    const david = await sent(s, { recipient: toConversation(s, 'David Okafor'), content: orderReady });
    assert.equal(david.conversation.status, 'OPEN');
    assert.equal(david.message.deliveryStatus, DeliveryStatus.PENDING.toUpperCase());
  });

  describe('idempotency (SQLite)', () => idempotencyTests(() => s));
});

describe('sendMessage idempotency (PostgreSQL)', () => {
  let s: TestServer | null = null;
  before(async () => {
    const why = await postgresUnavailable();
    if (why) {
      console.log(`# SKIP PostgreSQL send tests: ${why}`);
      return;
    }
    s = await startTestServer({ dialect: 'postgres', deliveryWorker: false });
  });
  after(() => s?.close());

  test('text to a conversation', async (t) => {
    if (!s) return t.skip('PostgreSQL unavailable');
    const out = await sent(s, { recipient: toConversation(s, 'Anna Kowalska'), content: text('Hello from PostgreSQL') });
    assert.equal(out.message.deliveryStatus, 'PENDING');
    assert.equal((await conversationRow(s, out.conversation.id)).lastMessageId, out.message.id);
  });

  idempotencyTests(() => s);
});
