import { countInboundMessage } from '../../src/modules/message/inbound-count';
import type { EntityManager } from '@mikro-orm/core';
import { newId } from '../../src/lib/ids';
import { ContactIdentity } from '../../src/modules/contact/contact-identity.entity';
import { Contact } from '../../src/modules/contact/contact.entity';
import { ConversationStatus } from '../../src/modules/conversation/conversation-status';
import { Conversation } from '../../src/modules/conversation/conversation.entity';
import { ContentKind } from '../../src/modules/message/content-kind';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { Message } from '../../src/modules/message/message.entity';
import { MessageDirection, SenderType } from '../../src/modules/message/sender-type';
import { Reaction } from '../../src/modules/reaction/reaction.entity';
import type { DemoWorkspace } from '../../src/seed/demo';

let bulkCounter = 5_550_000_000;

/**
 * Adds `conversations` extra WhatsApp conversations (each with an inbound and an outbound message,
 * alternately assigned) and returns them; `messagesIn` of them get that many messages with reactions.
 */
export async function addBulkConversations(
  em: EntityManager,
  demo: DemoWorkspace,
  opts: { conversations: number; messagesEach?: number; reactEvery?: number },
): Promise<Conversation[]> {
  const base = Date.now() - 3600_000;
  const out: Conversation[] = [];
  for (let i = 0; i < opts.conversations; i++) {
    const at = new Date(base + i * 1000);
    const phone = `+1${String(bulkCounter++).padStart(10, '5')}`;
    const contact = em.create(Contact, { tenantId: demo.tenant.id, name: `Bulk ${i}`, createdAt: at });
    em.create(ContactIdentity, { tenantId: demo.tenant.id, contactId: contact.id, channel: demo.whatsapp.channel, address: phone });
    const c = em.create(Conversation, {
      id: newId('conversation', at),
      tenantId: demo.tenant.id,
      inboxId: demo.whatsapp.id,
      contactId: contact.id,
      channel: demo.whatsapp.channel,
      externalId: phone,
      name: `Bulk ${i}`,
      status: ConversationStatus.OPEN,
      assigneeId: i % 2 ? demo.agent.id : null,
      currentSessionId: null,
      createdAt: at,
      updatedAt: at,
      lastActivityAt: at,
      lastMessageAt: null,
      lastMessageId: null,
      lastMessagePreview: null,
      lastMessageSender: null,
      lastInboundAt: null,
      inboundCount: 0,
    });
    const count = opts.messagesEach ?? 2;
    for (let j = 0; j < count; j++) {
      const mAt = new Date(at.getTime() + j);
      const inbound = j % 2 === 0;
      const m = em.create(Message, {
        id: newId('message', mAt),
        tenantId: demo.tenant.id,
        conversationId: c.id,
        inboxId: demo.whatsapp.id,
        sessionId: null,
        direction: inbound ? MessageDirection.INBOUND : MessageDirection.OUTBOUND,
        senderType: inbound ? SenderType.CUSTOMER : SenderType.USER,
        senderUserId: inbound ? null : demo.agent.id,
        contentKind: ContentKind.TEXT,
        content: { kind: ContentKind.TEXT, body: `message ${j}` },
        deliveryStatus: inbound ? null : DeliveryStatus.DELIVERED,
        failureCode: null,
        failureReason: null,
        channelMessageId: null,
        clientMessageId: null,
        replyToId: null,
        statusHistory: [],
        lastStatusAt: null,
        createdAt: mAt,
        updatedAt: mAt,
      });
      if (opts.reactEvery && j % opts.reactEvery === 0) {
        em.create(Reaction, {
          tenantId: demo.tenant.id,
          messageId: m.id,
          conversationId: c.id,
          actorType: SenderType.USER,
          actorId: demo.agent.id,
          emoji: '👍',
          createdAt: mAt,
        });
      }
      c.lastMessageAt = mAt;
      c.lastActivityAt = mAt;
      c.lastMessageId = m.id;
      c.lastMessagePreview = `message ${j}`;
      c.lastMessageSender = m.senderType;
      if (inbound) {
        c.lastInboundAt = mAt;
        countInboundMessage(c, m);
      }
    }
    out.push(c);
  }
  await em.flush();
  return out;
}

/**
 * Inserts `count` outbound text messages already handed to the provider (PENDING, channel message id
 * `<channelIdPrefix>.<i>`) into the demo WhatsApp inbox's first conversation, as plain rows (no events,
 * no outbox entries): what a burst of status webhooks then settles. Returns their ids in index order.
 */
export async function insertHandedOffMessages(
  em: EntityManager,
  demo: DemoWorkspace,
  opts: { count: number; channelIdPrefix: string; at: Date },
): Promise<string[]> {
  const conversation = demo.conversations.find((c) => c.inboxId === demo.whatsapp.id)!;
  const { at } = opts;
  const rows = Array.from({ length: opts.count }, (_, i) => ({
    id: newId('message', new Date(at.getTime() + i)),
    tenantId: demo.tenant.id,
    conversationId: conversation.id,
    inboxId: demo.whatsapp.id,
    direction: MessageDirection.OUTBOUND,
    senderType: SenderType.USER,
    senderUserId: demo.agent.id,
    contentKind: ContentKind.TEXT,
    content: { kind: ContentKind.TEXT as const, body: `Handed off ${i}` },
    deliveryStatus: DeliveryStatus.PENDING,
    channelMessageId: `${opts.channelIdPrefix}.${i}`,
    sessionId: null,
    failureCode: null,
    failureReason: null,
    clientMessageId: null,
    replyToId: null,
    lastStatusAt: null,
    statusHistory: [{ status: DeliveryStatus.PENDING, at: at.toISOString() }],
    createdAt: at,
    updatedAt: at,
  }));
  // Chunked: SQLite caps the bound parameters of one statement.
  for (let i = 0; i < rows.length; i += 500) await em.insertMany(Message, rows.slice(i, i + 500));
  return rows.map((r) => r.id);
}
