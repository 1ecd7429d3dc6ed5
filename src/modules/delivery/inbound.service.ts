import type { EntityManager } from '@mikro-orm/core';
import type { MessageReceivedEvent, ReactionReceivedEvent } from '../../channels/channel-adapter';
import { CHANNEL_RULES } from '../channel/channel-rules';
import { normalizeAddress } from '../contact/contact-address';
import { ContactIdentity } from '../contact/contact-identity.entity';
import { Contact } from '../contact/contact.entity';
import { applyOptOut } from '../contact/contact-opt-out';
import { findOrCreateContactByAddress } from '../contact/contact.service';
import { ConversationStatus } from '../conversation/conversation-status';
import { findThread, openSession, startConversation } from '../conversation/conversation-session.service';
import { Conversation } from '../conversation/conversation.entity';
import type { DomainEvent } from '../event/event.entity';
import { appendEvent, type EventDraft } from '../event/event.service';
import { EventType } from '../event/event-type';
import type { Inbox } from '../inbox/inbox.entity';
import { ContentKind } from '../message/content-kind';
import { recordMediaUse } from '../media/media-visibility';
import { countInboundMessage } from '../message/inbound-count';
import { previewOf, type StoredContent } from '../message/message-content';
import { Message } from '../message/message.entity';
import { MessageDirection, SenderType } from '../message/sender-type';
import { Reaction } from '../reaction/reaction.entity';
import { windowFor } from '../window/window.service';
import { lockedRead } from './delivery.locks';
import { WindowActorKind } from '../window/window.types';

/** What ingesting one inbound event did. */
export interface InboundOutcome {
  events: DomainEvent[];
  /** The stored message (also when it was already stored: provider retries are not new messages). */
  message: Message | null;
  conversation: Conversation | null;
}

/**
 * The customer's address in our canonical form. Adapters hand over the provider's spelling; a
 * phone number that lost its `+` on the way (some providers drop it) is read as international.
 */
export function inboundAddress(inbox: Pick<Inbox, 'channel'>, raw: string): string | null {
  return normalizeAddress(inbox.channel, raw) ?? (/^\d{8,15}$/.test(raw.trim()) ? normalizeAddress(inbox.channel, `+${raw.trim()}`) : null);
}

/**
 * The conversation a customer message lands in: the contact's one thread in this inbox, reopened
 * with a new session when closed (as an outbound send does: recipient.service.ts); else a new one.
 */
async function conversationFor(
  em: EntityManager,
  inbox: Inbox,
  contact: Contact,
  address: string,
  now: Date,
): Promise<{
  conversation: Conversation;
  change: EventType.CONVERSATION_CREATED | EventType.CONVERSATION_REOPENED | null;
  sessionId: string | null;
}> {
  // The conversation row is locked (after the contact, before the tenant's event cursor: the lock
  // order sends, close and reassign use) so an inbound message cannot deadlock with them.
  const thread = await findThread(em, inbox, contact.id);
  if (thread) {
    // Re-checked under the lock: a close that committed meanwhile sends us down the reopen path.
    const locked = await em.findOneOrFail(Conversation, { id: thread.id }, lockedRead<Conversation>(em));
    if (locked.status === ConversationStatus.OPEN) return { conversation: locked, change: null, sessionId: locked.currentSessionId };
    const session = openSession(em, locked, inbox.id, now);
    return { conversation: locked, change: EventType.CONVERSATION_REOPENED, sessionId: session.id };
  }
  const started = startConversation(em, inbox, contact, address, now);
  return { conversation: started.conversation, change: EventType.CONVERSATION_CREATED, sessionId: started.session.id };
}

/**
 * Stores a customer message: finds or creates the contact (by normalised address), continues,
 * reopens or starts the conversation, moves `lastInboundAt` (which opens the customer-service
 * window) and the last-message columns, and appends CONVERSATION_CREATED / CONVERSATION_REOPENED,
 * MESSAGE_ADDED and WINDOW_OPENED (when free-form sending was shut before this message). Runs in
 * the caller's transaction; unread counts follow from the new inbound row by themselves.
 *
 * A message marked as an opt-out keyword (`event.optOut`) opts the customer's address out of (or
 * back into) the channel in the same transaction.
 *
 * A message whose channel id is already stored is a provider retry: nothing changes.
 */
export async function receiveInboundMessage(
  em: EntityManager,
  inbox: Inbox,
  event: MessageReceivedEvent,
  now = new Date(),
): Promise<InboundOutcome> {
  const existing = await em.findOne(Message, { inboxId: inbox.id, channelMessageId: event.channelMessageId });
  if (existing) return { events: [], message: existing, conversation: await em.findOne(Conversation, existing.conversationId) };

  const address = inboundAddress(inbox, event.from);
  // An address we cannot read cannot be answered either; dropping it beats a contact nobody can reach.
  if (!address) return { events: [], message: null, conversation: null };

  const { contact, identity, created } = await findOrCreateContactByAddress(em, inbox.tenantId, inbox.channel, address, {
    name: event.fromName ?? null,
    now,
  });
  // One customer's messages are threaded one at a time (PostgreSQL row lock on the contact), so two
  // arriving together cannot both reopen the closed conversation or both start a new one.
  if (!created) await em.findOne(Contact, { id: contact.id }, lockedRead<Contact>(em));
  if (!contact.name && event.fromName) contact.name = event.fromName;
  // STOP/START change what may be sent to this address, with the message that said so.
  if (event.optOut) applyOptOut(identity, event.optOut, now);
  const { conversation, change, sessionId } = await conversationFor(em, inbox, contact, address, now);
  if (!conversation.name && contact.name) conversation.name = contact.name;

  const windowed = CHANNEL_RULES[inbox.channel].window.kind !== 'none';
  const wasShut = windowed && !windowFor(conversation, inbox, WindowActorKind.BOT, now).canSend;

  // The provider's time can be a little ahead of ours; a message cannot have been written later than now.
  const writtenAt = new Date(Math.min(event.occurredAt.getTime(), now.getTime()));
  const replyTo = event.replyToChannelMessageId
    ? await em.findOne(Message, { inboxId: inbox.id, channelMessageId: event.replyToChannelMessageId }, { fields: ['id'] })
    : null;
  const message = em.create(Message, {
    tenantId: inbox.tenantId,
    conversationId: conversation.id,
    inboxId: inbox.id,
    sessionId: sessionId ?? conversation.currentSessionId,
    direction: MessageDirection.INBOUND,
    senderType: SenderType.CUSTOMER,
    senderUserId: null,
    contentKind: event.content.kind,
    content: withThread(event),
    deliveryStatus: null,
    failureCode: null,
    failureReason: null,
    channelMessageId: event.channelMessageId,
    clientMessageId: null,
    replyToId: replyTo?.id ?? null,
    statusHistory: [],
    lastStatusAt: null,
    createdAt: now,
    updatedAt: now,
  });

  countInboundMessage(conversation, message);

  // The customer's file becomes visible to the inbox's agents with the message.
  if (event.content.kind === ContentKind.MEDIA && event.content.mediaId)
    await recordMediaUse(em, inbox.tenantId, inbox.id, [event.content.mediaId], now);

  conversation.lastActivityAt = now;
  conversation.lastMessageAt = now;
  conversation.lastMessageId = message.id;
  conversation.lastMessagePreview = previewOf(event.content);
  conversation.lastMessageSender = SenderType.CUSTOMER;
  // Late deliveries of older messages must not move the window backwards.
  if (!conversation.lastInboundAt || conversation.lastInboundAt < writtenAt) conversation.lastInboundAt = writtenAt;

  const scope: Omit<EventDraft, 'type'> = {
    tenantId: inbox.tenantId,
    inboxId: inbox.id,
    conversationId: conversation.id,
    actorType: SenderType.CUSTOMER,
    actorId: contact.id,
    causationId: event.providerEventId,
  };
  const events: DomainEvent[] = [];
  if (change === EventType.CONVERSATION_CREATED) {
    events.push(await appendEvent(em, { ...scope, type: change, payload: { contactId: contact.id, channel: inbox.channel } }));
  } else if (change === EventType.CONVERSATION_REOPENED) {
    events.push(await appendEvent(em, { ...scope, type: change, payload: { sessionId } }));
  }
  events.push(
    await appendEvent(em, {
      ...scope,
      type: EventType.MESSAGE_ADDED,
      messageId: message.id,
      payload: { direction: MessageDirection.INBOUND, contentKind: message.contentKind },
    }),
  );
  if (wasShut) {
    const after = windowFor(conversation, inbox, WindowActorKind.BOT, now);
    if (after.canSend) {
      events.push(
        await appendEvent(em, {
          ...scope,
          type: EventType.WINDOW_OPENED,
          payload: { lastInboundAt: conversation.lastInboundAt!.toISOString(), expiresAt: after.expiresAt?.toISOString() ?? null },
        }),
      );
    }
  }
  return { events, message, conversation };
}

/**
 * Stores a customer's reaction to a message of this inbox (one per customer per message: a new
 * emoji replaces the old one, `removed` deletes it) and appends REACTION_CHANGED with
 * `{ reactionId, emoji, removed, previousEmoji }`. Reactions to messages we do not know, from
 * unknown addresses, or that change nothing are dropped quietly.
 * A reaction does not move `lastInboundAt`: whether it reopens a provider's window is not
 * documented, and assuming it does would let agents send into a shut window.
 */
export async function receiveInboundReaction(em: EntityManager, inbox: Inbox, event: ReactionReceivedEvent): Promise<InboundOutcome> {
  const message = await em.findOne(Message, { inboxId: inbox.id, channelMessageId: event.channelMessageId });
  if (!message) return { events: [], message: null, conversation: null };
  const conversation = await em.findOneOrFail(Conversation, { id: message.conversationId, tenantId: message.tenantId });
  const address = inboundAddress(inbox, event.from);
  const identity = address ? await em.findOne(ContactIdentity, { tenantId: inbox.tenantId, channel: inbox.channel, address }) : null;
  const contactId = identity?.contactId ?? (address !== null && address === conversation.externalId ? conversation.contactId : null);
  if (!contactId) return { events: [], message, conversation };

  const current = await em.findOne(Reaction, { messageId: message.id, actorType: SenderType.CUSTOMER, actorId: contactId });
  const previous = current?.emoji ?? null;
  const next = event.removed ? null : event.emoji;
  if (previous === next) return { events: [], message, conversation };
  let reactionId: string;
  if (next === null) {
    reactionId = current!.id;
    em.remove(current!);
  } else if (current) {
    reactionId = current.id;
    current.emoji = next;
    current.createdAt = new Date();
  } else {
    reactionId = em.create(Reaction, {
      tenantId: message.tenantId,
      messageId: message.id,
      conversationId: message.conversationId,
      actorType: SenderType.CUSTOMER,
      actorId: contactId,
      emoji: next,
      createdAt: new Date(),
    }).id;
  }
  const event_ = await appendEvent(em, {
    tenantId: message.tenantId,
    type: EventType.REACTION_CHANGED,
    inboxId: message.inboxId,
    conversationId: message.conversationId,
    messageId: message.id,
    actorType: SenderType.CUSTOMER,
    actorId: contactId,
    causationId: event.providerEventId,
    // Same payload shape as a teammate's reaction (reaction.service.ts).
    payload: { reactionId, emoji: next ?? previous, removed: next === null, previousEmoji: previous },
  });
  return { events: [event_], message, conversation };
}

/** The event's content with its provider thread kept in it (text and media only), for the replies' SendContext.thread. */
function withThread(event: MessageReceivedEvent): StoredContent {
  const { content, thread } = event;
  return thread && (content.kind === ContentKind.TEXT || content.kind === ContentKind.MEDIA) ? { ...content, thread } : content;
}
