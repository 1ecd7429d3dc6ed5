import type { EntityManager } from '@mikro-orm/core';
import type { Contact } from '../contact/contact.entity';
import type { Inbox } from '../inbox/inbox.entity';
import { ConversationSession } from './conversation-session.entity';
import { ConversationStatus } from './conversation-status';
import { Conversation } from './conversation.entity';

/**
 * A conversation's lifecycle in sessions: it is OPEN while a session is active. Closing ends the
 * session (the thread stays); the next inbound message or outbound send opens a new one. These
 * helpers only change rows in the caller's unit of work: the caller owns the transaction and
 * appends the matching event (CONVERSATION_CREATED / _REOPENED / _CLOSED), because only it knows
 * who acted and why.
 */

/**
 * Opens a new session on `conversation` through `inboxId` and marks the conversation OPEN. Any
 * session still open is left alone: call it on a CLOSED conversation (reopen) or a new one.
 */
export function openSession(em: EntityManager, conversation: Conversation, inboxId: string, at: Date = new Date()): ConversationSession {
  const session = em.create(ConversationSession, {
    tenantId: conversation.tenantId,
    conversationId: conversation.id,
    inboxId,
    openedAt: at,
    closedAt: null,
  });
  conversation.status = ConversationStatus.OPEN;
  conversation.currentSessionId = session.id;
  return session;
}

/**
 * Ends every open session of `conversation` (normally just the current one; older strays are
 * closed too so "open" has one meaning) and marks it CLOSED. Returns the sessions it closed.
 */
export async function closeSessions(em: EntityManager, conversation: Conversation, at: Date = new Date()): Promise<ConversationSession[]> {
  const open = await em.find(ConversationSession, { conversationId: conversation.id, tenantId: conversation.tenantId, closedAt: null });
  for (const session of open) session.closedAt = at;
  conversation.status = ConversationStatus.CLOSED;
  conversation.currentSessionId = null;
  return open;
}

/**
 * THE conversation of `contact` in `inbox`, open or closed, or null: there is one thread per
 * (inbox, contact), held by a unique index, and traffic in either direction continues it (reopening
 * it when closed). Inbound and outbound both find it here so they cannot disagree.
 */
export function findThread(em: EntityManager, inbox: Inbox, contactId: string): Promise<Conversation | null> {
  return em.findOne(Conversation, { tenantId: inbox.tenantId, inboxId: inbox.id, contactId });
}

/**
 * Starts a conversation with `contact` at `address` in `inbox`, with its first session open.
 * The caller appends CONVERSATION_CREATED. Only when `findThread` found none: a second one fails
 * the unique index on (inbox_id, contact_id) at flush, and the caller's transaction is retried.
 */
export function startConversation(
  em: EntityManager,
  inbox: Inbox,
  contact: Contact,
  address: string,
  at: Date = new Date(),
): { conversation: Conversation; session: ConversationSession } {
  const conversation = em.create(Conversation, {
    tenantId: inbox.tenantId,
    inboxId: inbox.id,
    contactId: contact.id,
    channel: inbox.channel,
    externalId: address,
    name: contact.name,
    status: ConversationStatus.OPEN,
    assigneeId: null,
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
  const session = openSession(em, conversation, inbox.id, at);
  return { conversation, session };
}
