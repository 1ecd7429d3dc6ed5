import type { EntityManager } from '@mikro-orm/core';
import type { Message } from '../message/message.entity';
import { OutboxEntry, OutboxState } from './outbox-entry.entity';

/**
 * Queues `message` for the delivery worker, in the caller's transaction, due at once: written
 * together with the message so a committed PENDING message always has its outbox entry. It takes
 * its place in the conversation's send order by (`queuedAt`, id); `queuedAt` defaults to the
 * message's createdAt (see {@link conversationQueueTime} for a send's own).
 */
export function enqueueDelivery(
  em: EntityManager,
  message: Pick<Message, 'id' | 'tenantId' | 'inboxId' | 'conversationId' | 'createdAt'>,
  now: Date,
  queuedAt: Date = message.createdAt,
): OutboxEntry {
  return em.create(OutboxEntry, {
    tenantId: message.tenantId,
    messageId: message.id,
    inboxId: message.inboxId,
    conversationId: message.conversationId,
    queuedAt,
    state: OutboxState.PENDING,
    attempts: 0,
    deferrals: 0,
    nextAttemptAt: now,
    lockedUntil: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * The queue time of a message sent now into `conversationId`; call with the conversation locked.
 * After every PENDING entry of the conversation (at least 1 ms after the last), so the send order
 * is the order the sends committed in: a send that drew its id and time, then waited for the lock
 * while a later one committed and was claimed, still queues behind it, and so does one whose clock
 * is behind another server's. One read of the (conversation, state, queuedAt) index.
 */
export async function conversationQueueTime(em: EntityManager, conversationId: string): Promise<Date> {
  const last = await em.findOne(
    OutboxEntry,
    { conversationId, state: OutboxState.PENDING },
    { orderBy: { queuedAt: 'desc', messageId: 'desc' }, fields: ['queuedAt'] },
  );
  const now = Date.now();
  return new Date(last ? Math.max(now, last.queuedAt.getTime() + 1) : now);
}
