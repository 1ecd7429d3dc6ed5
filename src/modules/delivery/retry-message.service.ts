import type { EntityManager } from '@mikro-orm/core';
import type { AppDeps } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import type { Viewer } from '../auth/viewer';
import type { DomainEvent } from '../event/event.entity';
import { publishEvents } from '../event/event.publisher';
import { DeliveryStatus } from '../message/delivery-status';
import { Message } from '../message/message.entity';
import { MessageDirection } from '../message/sender-type';
import { decideTransition } from '../message/status-transitions';
import { attemptsBeforeNextRun } from './delivery-runs';
import { lockedRead } from './delivery.locks';
import { OutboxEntry, OutboxState } from './outbox-entry.entity';
import { enqueueDelivery } from './outbox.service';
import { applyStatusChange } from './status.service';

/** What a retry needs besides the request: the attempt budget, where events go, the worker to wake. */
export type RetryMessageDeps = Pick<AppDeps, 'pubsub' | 'delivery'> & { config: Pick<AppDeps['config'], 'delivery'> };

/** What a retry left behind. */
export interface RetryMessageResult {
  /** The message as committed: PENDING again, its failure cleared. */
  message: Message;
  /** MESSAGE_STATUS_CHANGED (FAILED → PENDING), published once the transaction committed. */
  events: DomainEvent[];
}

/** Why a message cannot be retried, or null when it can (pure; `message` read in the transaction). */
function retryRefusal(message: Message): string | null {
  if (message.direction !== MessageDirection.OUTBOUND) {
    return `is ${message.direction === MessageDirection.INBOUND ? 'a customer message' : 'an internal note'}; only failed outbound messages can be retried.`;
  }
  const status = message.deliveryStatus ?? DeliveryStatus.PENDING;
  if (decideTransition(status, DeliveryStatus.PENDING, { retry: true }) !== 'apply') {
    return `is ${status.toUpperCase()}; only FAILED messages can be retried.`;
  }
  if (message.channelMessageId !== null) {
    // Sending it again under the same id would be answered as a duplicate by the provider, not delivered.
    return 'was accepted by the provider and failed on the way to the customer; send it again as a new message.';
  }
  return null;
}

/**
 * Sends a FAILED outbound message again, on behalf of `viewer`. In one transaction: the message
 * moves FAILED → PENDING (a statusHistory entry; the failure is cleared) with a
 * MESSAGE_STATUS_CHANGED event attributed to the viewer, and its outbox entry goes back to PENDING,
 * due now and unleased, at the back of its conversation's send order (queued now: it waits for the
 * conversation's PENDING messages, and later messages already sent do not block it). `attempts` is never reset (it fences stale workers): it moves to the start
 * of a new run, which gets the full `maxAttempts` budget (see delivery-runs.ts). A message without
 * an outbox entry (seeded or imported history) gets one. After commit the event is published and
 * the delivery worker woken.
 *
 * Errors (nothing is written): BAD_USER_INPUT naming `messageId` when the message is not outbound,
 * not FAILED (a PENDING one is already queued; SENT and later are on their way), or failed after
 * the provider accepted it. Visibility of `message` is the caller's check (NOT_FOUND there).
 */
export async function retryMessage(
  deps: RetryMessageDeps,
  em: EntityManager,
  viewer: Viewer,
  message: Message,
): Promise<RetryMessageResult> {
  const maxAttempts = deps.config.delivery.maxAttempts;
  const result = await em.transactional(async (tx): Promise<RetryMessageResult> => {
    const now = new Date();
    // Locked and re-read: two agents retrying at once decide in turn; the second finds it PENDING.
    const current = await tx.findOneOrFail(Message, { id: message.id, tenantId: viewer.tenantId }, lockedRead<Message>(tx));
    const refusal = retryRefusal(current);
    if (refusal) throw Errors.field('messageId', refusal);

    const entry =
      (await tx.findOne(OutboxEntry, { messageId: current.id }, lockedRead<OutboxEntry>(tx))) ?? enqueueDelivery(tx, current, now);
    entry.state = OutboxState.PENDING;
    // Throttle deferrals are not tries: the new run starts after the tries made so far.
    entry.attempts = entry.deferrals + attemptsBeforeNextRun(entry.attempts - entry.deferrals, maxAttempts);
    entry.nextAttemptAt = now;
    // To the back of its conversation's queue: messages sent after it failed (already SENT, or
    // still PENDING) go first, rather than this old message overtaking them now.
    entry.queuedAt = now;
    entry.throttleSlotAt = null;
    entry.lockedUntil = null;
    entry.updatedAt = now;

    const event = await applyStatusChange(tx, current, {
      status: DeliveryStatus.PENDING,
      at: now,
      retry: true,
      // Ties the retry to the run it starts: the worker's outcomes of that run are `<entry>#<attempt>`.
      causationId: `retry:${entry.id}#${entry.attempts + 1}`,
    });
    if (!event) throw new Error(`retrying ${current.id}: the FAILED → PENDING transition was not applied`);
    // The agent asked for it; the status change is not the system's own doing.
    event.actorType = viewer.senderType;
    event.actorId = viewer.userId;
    return { message: current, events: [event] };
  });
  await publishEvents(deps.pubsub, result.events);
  deps.delivery.notify();
  return result;
}
