import type { EntityManager } from '@mikro-orm/core';
import type { Message } from '../message/message.entity';
import { OutboxEntry, OutboxState } from './outbox-entry.entity';

/**
 * Queues `message` for the delivery worker, in the caller's transaction, due at once: written
 * together with the message so a committed PENDING message always has its outbox entry. It takes
 * its place in the conversation's send order by the message's (createdAt, id).
 */
export function enqueueDelivery(
  em: EntityManager,
  message: Pick<Message, 'id' | 'tenantId' | 'inboxId' | 'conversationId' | 'createdAt'>,
  now: Date,
): OutboxEntry {
  return em.create(OutboxEntry, {
    tenantId: message.tenantId,
    messageId: message.id,
    inboxId: message.inboxId,
    conversationId: message.conversationId,
    queuedAt: message.createdAt,
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
