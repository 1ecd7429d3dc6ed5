import { countInboundMessage } from '../../src/modules/message/inbound-count';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { newId } from '../../src/lib/ids';
import { Conversation } from '../../src/modules/conversation/conversation.entity';
import type { DomainEvent } from '../../src/modules/event/event.entity';
import { EventType } from '../../src/modules/event/event-type';
import { publishEvents } from '../../src/modules/event/event.publisher';
import { appendEvent, type EventDraft } from '../../src/modules/event/event.service';
import { ContentKind } from '../../src/modules/message/content-kind';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { Message } from '../../src/modules/message/message.entity';
import { MessageDirection, SenderType } from '../../src/modules/message/sender-type';
import { Reaction } from '../../src/modules/reaction/reaction.entity';
import type { User } from '../../src/modules/user/user.entity';
import type { TestServer } from './server';

/**
 * Produces events the way the mutations do: one transaction on a fresh fork that changes rows and
 * appends the events, commit, then publish. `change` returns the drafts to append (after its own
 * writes, inside the same transaction).
 */
export async function recordEvents(
  s: TestServer,
  change: (em: SqlEntityManager) => Promise<EventDraft | EventDraft[] | void>,
): Promise<DomainEvent[]> {
  const em = s.db.em.fork() as SqlEntityManager;
  const events = await em.transactional(async (tx) => {
    const drafts = (await change(tx)) ?? [];
    const list: DomainEvent[] = [];
    for (const draft of Array.isArray(drafts) ? drafts : [drafts]) list.push(await appendEvent(tx, draft));
    return list;
  });
  await publishEvents(s.server.deps.pubsub, events);
  return events;
}

type ConversationRef = Pick<Conversation, 'id' | 'inboxId' | 'tenantId'>;

/** Writes a text message (from the customer, or from a teammate) and its MESSAGE_ADDED event. */
export async function addMessage(
  s: TestServer,
  conversation: ConversationRef,
  opts: { text: string; from: 'customer' | User; clientMessageId?: string | null; at?: Date },
): Promise<{ message: Message; event: DomainEvent }> {
  let message!: Message;
  const [event] = await recordEvents(s, async (tx) => {
    const c = await tx.findOneOrFail(Conversation, { id: conversation.id });
    const now = opts.at ?? new Date();
    const customer = opts.from === 'customer';
    message = tx.create(Message, {
      id: newId('message'),
      tenantId: c.tenantId,
      conversationId: c.id,
      inboxId: c.inboxId,
      sessionId: c.currentSessionId,
      direction: customer ? MessageDirection.INBOUND : MessageDirection.OUTBOUND,
      senderType: customer ? SenderType.CUSTOMER : SenderType.USER,
      senderUserId: customer ? null : (opts.from as User).id,
      contentKind: ContentKind.TEXT,
      content: { kind: ContentKind.TEXT, body: opts.text },
      deliveryStatus: customer ? null : DeliveryStatus.PENDING,
      failureCode: null,
      failureReason: null,
      channelMessageId: null,
      clientMessageId: opts.clientMessageId ?? null,
      replyToId: null,
      statusHistory: [],
      lastStatusAt: null,
      createdAt: now,
      updatedAt: now,
    });
    c.lastMessageId = message.id;
    c.lastMessageAt = now;
    c.lastActivityAt = now;
    if (customer) {
      c.lastInboundAt = now;
      countInboundMessage(c, message);
    }
    return {
      tenantId: c.tenantId,
      type: EventType.MESSAGE_ADDED,
      inboxId: c.inboxId,
      conversationId: c.id,
      messageId: message.id,
      actorType: customer ? SenderType.CUSTOMER : SenderType.USER,
      actorId: customer ? c.contactId : (opts.from as User).id,
      causationId: opts.clientMessageId ?? null,
      payload: { direction: message.direction, contentKind: ContentKind.TEXT },
    };
  });
  return { message, event };
}

/** Moves a message to `to` and records MESSAGE_STATUS_CHANGED, as the delivery pipeline does. */
export async function setStatus(
  s: TestServer,
  messageId: string,
  to: DeliveryStatus,
  failure?: { code: string; reason: string },
): Promise<DomainEvent> {
  const [event] = await recordEvents(s, async (tx) => {
    const m = await tx.findOneOrFail(Message, { id: messageId });
    const from = m.deliveryStatus;
    m.deliveryStatus = to;
    if (failure) {
      m.failureCode = failure.code;
      m.failureReason = failure.reason;
    }
    return {
      tenantId: m.tenantId,
      type: EventType.MESSAGE_STATUS_CHANGED,
      inboxId: m.inboxId,
      conversationId: m.conversationId,
      messageId: m.id,
      actorType: SenderType.SYSTEM,
      payload: { from, to, ...(failure ? { failureCode: failure.code, failureReason: failure.reason } : {}) },
    };
  });
  return event;
}

/** Sets a teammate's reaction and records REACTION_CHANGED. */
export async function react(s: TestServer, messageId: string, user: User, emoji: string): Promise<DomainEvent> {
  const [event] = await recordEvents(s, async (tx) => {
    const m = await tx.findOneOrFail(Message, { id: messageId });
    const reaction = tx.create(Reaction, {
      tenantId: m.tenantId,
      messageId: m.id,
      conversationId: m.conversationId,
      actorType: SenderType.USER,
      actorId: user.id,
      emoji,
      createdAt: new Date(),
    });
    return {
      tenantId: m.tenantId,
      type: EventType.REACTION_CHANGED,
      inboxId: m.inboxId,
      conversationId: m.conversationId,
      messageId: m.id,
      actorType: SenderType.USER,
      actorId: user.id,
      payload: { reactionId: reaction.id, emoji, removed: false, previousEmoji: null },
    };
  });
  return event;
}

/** Assigns a conversation and records CONVERSATION_ASSIGNED. */
export async function assign(s: TestServer, conversationId: string, assignee: User | null, by: User): Promise<DomainEvent> {
  const [event] = await recordEvents(s, async (tx) => {
    const c = await tx.findOneOrFail(Conversation, { id: conversationId });
    const from = c.assigneeId;
    c.assigneeId = assignee?.id ?? null;
    return {
      tenantId: c.tenantId,
      type: EventType.CONVERSATION_ASSIGNED,
      inboxId: c.inboxId,
      conversationId: c.id,
      actorType: SenderType.USER,
      actorId: by.id,
      payload: { from, to: c.assigneeId },
    };
  });
  return event;
}
