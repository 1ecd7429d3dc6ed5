import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { AppDeps } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { Viewer } from '../auth/viewer';
import { TENANT_WIDE_ROLES } from '../auth/viewer';
import type { DomainEvent } from '../event/event.entity';
import { EventType } from '../event/event-type';
import { publishEvents } from '../event/event.publisher';
import { appendEvent } from '../event/event.service';
import { InboxMember } from '../inbox/inbox-member.entity';
import { Message } from '../message/message.entity';
import { MessageDirection } from '../message/sender-type';
import { ReadMarker } from '../read-marker/read-marker.entity';
import { User } from '../user/user.entity';
import { closeSessions } from './conversation-session.service';
import { ConversationStatus } from './conversation-status';
import { Conversation } from './conversation.entity';

/** What a conversation action left behind: the conversation as committed and the events it published. */
export interface ConversationChange {
  conversation: Conversation;
  /** Appended in the action's transaction and published once it committed. Empty for a no-op. */
  events: DomainEvent[];
}

/** What the actions need besides the request: where committed events go. */
export type ConversationActionDeps = Pick<AppDeps, 'pubsub'>;

/** Publishes what a committed action appended (awaited, so subscribers hear it before the answer). */
async function published<T extends ConversationChange>(deps: ConversationActionDeps, change: T): Promise<T> {
  await publishEvents(deps.pubsub, change.events);
  return change;
}

/**
 * Re-reads the conversation inside the transaction under a row lock (SELECT … FOR UPDATE on
 * PostgreSQL; SQLite runs one write transaction at a time anyway), so two concurrent actions on
 * one conversation decide in turn, each on the other's committed result, and a no-op stays a no-op.
 */
function lockConversation(em: SqlEntityManager, id: string): Promise<Conversation> {
  return em.findOneOrFail(Conversation, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

/**
 * Checks that `userId` can own `conversation`: an active teammate of the same tenant who works
 * its inbox. Owners and admins work every inbox (they see the whole tenant), so they qualify
 * without an InboxMember row; agents and bots need one. BAD_USER_INPUT naming `userId` otherwise.
 */
async function requireAssignable(em: SqlEntityManager, conversation: Conversation, userId: string): Promise<User> {
  const user = await em.findOne(User, { id: userId, tenantId: conversation.tenantId });
  if (!user) throw Errors.field('userId', 'is not a teammate in this workspace.');
  if (!user.active) throw Errors.field('userId', `${user.name} is deactivated and cannot be assigned.`);
  if (TENANT_WIDE_ROLES.includes(user.role)) return user;
  const memberships = await em.count(InboxMember, { tenantId: conversation.tenantId, inboxId: conversation.inboxId, userId });
  if (memberships === 0) throw Errors.field('userId', `${user.name} is not a member of this conversation's inbox.`);
  return user;
}

/**
 * Hands `conversation` to `assigneeId`, or unassigns it when null. Assigning the current assignee
 * again changes nothing and records no event. Records CONVERSATION_ASSIGNED with `{ from, to }`
 * and publishes it after commit.
 */
export async function reassignConversation(
  deps: ConversationActionDeps,
  em: SqlEntityManager,
  viewer: Viewer,
  conversation: Conversation,
  assigneeId: string | null,
): Promise<ConversationChange> {
  const change = await em.transactional(async (tx): Promise<ConversationChange> => {
    const current = await lockConversation(tx, conversation.id);
    if (assigneeId !== null) await requireAssignable(tx, current, assigneeId);
    const from = current.assigneeId;
    if (from === assigneeId) return { conversation: current, events: [] };
    current.assigneeId = assigneeId;
    const event = await appendEvent(tx, {
      tenantId: current.tenantId,
      type: EventType.CONVERSATION_ASSIGNED,
      inboxId: current.inboxId,
      conversationId: current.id,
      actorType: viewer.senderType,
      actorId: viewer.userId,
      payload: { from, to: assigneeId },
    });
    return { conversation: current, events: [event] };
  });
  return published(deps, change);
}

/** What marking a conversation read did. */
export interface MarkReadResult extends ConversationChange {
  /** False when the viewer's marker was already at or past the message. */
  moved: boolean;
}

/**
 * Customer messages of the conversation up to and including `message`: its own number when it is
 * one, else the number of the last customer message before it (one indexed lookup, (conversation_id, id)).
 */
async function inboundCountUpTo(em: SqlEntityManager, message: Message): Promise<number> {
  if (message.direction === MessageDirection.INBOUND && message.inboundSeq != null) return message.inboundSeq;
  const before = await em.findOne(
    Message,
    { conversationId: message.conversationId, direction: MessageDirection.INBOUND, id: { $lte: message.id } },
    { orderBy: { id: 'desc' }, fields: ['inboundSeq'] },
  );
  return before?.inboundSeq ?? 0;
}

/**
 * Moves the viewer's read marker of `conversation` up to `message`, never backwards (message ids
 * are time-sortable, so the marker keeps the greatest id it was given). One conditional upsert
 * decides it in the database, so concurrent calls cannot lose the newest one or interleave into
 * a step back: `INSERT … ON CONFLICT (conversation_id, user_id) DO UPDATE … WHERE the stored id is
 * smaller`. Records CONVERSATION_READ only when the marker moved, and publishes it after commit.
 *
 * `message` must be a message of `conversation` (BAD_USER_INPUT naming `lastMessageId`);
 * visibility of both is the caller's check.
 */
export async function markConversationRead(
  deps: ConversationActionDeps,
  em: SqlEntityManager,
  viewer: Viewer,
  conversation: Conversation,
  message: Message,
): Promise<MarkReadResult> {
  if (message.conversationId !== conversation.id) {
    throw Errors.field('lastMessageId', 'is a message of another conversation.');
  }
  const change = await em.transactional(async (tx): Promise<MarkReadResult> => {
    const now = new Date();
    const readInboundCount = await inboundCountUpTo(tx, message);
    const written = await tx
      .createQueryBuilder(ReadMarker)
      .insert({
        id: newId('readMarker'),
        tenantId: conversation.tenantId,
        conversationId: conversation.id,
        userId: viewer.userId,
        lastReadMessageId: message.id,
        readInboundCount,
        updatedAt: now,
      })
      .onConflict(['conversationId', 'userId'])
      .merge(['lastReadMessageId', 'readInboundCount', 'updatedAt'])
      .where({ lastReadMessageId: { $lt: message.id } })
      .execute('run');
    if (!written.affectedRows) return { conversation, events: [], moved: false };
    const event = await appendEvent(tx, {
      tenantId: conversation.tenantId,
      type: EventType.CONVERSATION_READ,
      inboxId: conversation.inboxId,
      conversationId: conversation.id,
      messageId: message.id,
      actorType: viewer.senderType,
      actorId: viewer.userId,
      payload: { userId: viewer.userId, lastReadMessageId: message.id },
    });
    return { conversation, events: [event], moved: true };
  });
  return published(deps, change);
}

/**
 * Closes the conversation's active session: the session gets `closedAt`, the conversation becomes
 * CLOSED with no current session. The thread stays; the next inbound message or outbound send
 * opens a new session (and reopens the conversation). Closing a closed conversation changes
 * nothing and records no event. Records CONVERSATION_CLOSED with `{ sessionId }` and publishes it
 * after commit.
 */
export async function closeConversation(
  deps: ConversationActionDeps,
  em: SqlEntityManager,
  viewer: Viewer,
  conversation: Conversation,
): Promise<ConversationChange> {
  const change = await em.transactional(async (tx): Promise<ConversationChange> => {
    const current = await lockConversation(tx, conversation.id);
    if (current.status === ConversationStatus.CLOSED) return { conversation: current, events: [] };
    const sessionId = current.currentSessionId;
    await closeSessions(tx, current);
    const event = await appendEvent(tx, {
      tenantId: current.tenantId,
      type: EventType.CONVERSATION_CLOSED,
      inboxId: current.inboxId,
      conversationId: current.id,
      actorType: viewer.senderType,
      actorId: viewer.userId,
      payload: { sessionId },
    });
    return { conversation: current, events: [event] };
  });
  return published(deps, change);
}
