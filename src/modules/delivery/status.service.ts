import type { EntityManager } from '@mikro-orm/core';
import type { StatusChangedEvent } from '../../channels/channel-adapter';
import type { DomainEvent } from '../event/event.entity';
import { appendEvent } from '../event/event.service';
import { EventType } from '../event/event-type';
import { DeliveryStatus } from '../message/delivery-status';
import { Message, type StatusChange } from '../message/message.entity';
import { MessageDirection, SenderType } from '../message/sender-type';
import { decideTransition } from '../message/status-transitions';
import { lockChannelMessage, lockedRead } from './delivery.locks';
import { PendingStatus } from './pending-status.entity';

/** One status a message should move to, from the worker or a provider callback. */
export interface StatusUpdate {
  status: DeliveryStatus;
  /** When it happened (the provider's time when it says; clamped so history never runs backwards). */
  at: Date;
  failure?: { code: string; reason: string } | null;
  /** The provider event id or outbox entry that caused it. */
  causationId?: string | null;
  /** An explicit retry (FAILED → PENDING); the caller re-queues the outbox entry. */
  retry?: boolean;
}

/**
 * Moves an outbound message to a new status when the transition table allows it: appends to its
 * history, sets lastStatusAt and (for FAILED) the failure, and appends MESSAGE_STATUS_CHANGED in
 * the caller's transaction. Stale, duplicate and backward updates are ignored and return null;
 * a caller that must refuse instead (an explicit retry of a delivered message) asks
 * `decideTransition` first.
 * The caller must have read `message` inside its transaction (see {@link lockedRead}).
 */
export async function applyStatusChange(em: EntityManager, message: Message, update: StatusUpdate): Promise<DomainEvent | null> {
  const from = message.deliveryStatus;
  if (message.direction !== MessageDirection.OUTBOUND || from === null) return null;
  if (decideTransition(from, update.status, { retry: update.retry }) !== 'apply') return null;

  const previousAt = message.statusHistory.length ? Date.parse(message.statusHistory[message.statusHistory.length - 1].at) : 0;
  const at = new Date(Math.max(update.at.getTime(), previousAt));
  const failure =
    update.status === DeliveryStatus.FAILED ? (update.failure ?? { code: 'failed', reason: 'The provider reported a failure.' }) : null;
  const entry: StatusChange = {
    status: update.status,
    at: at.toISOString(),
    ...(failure ? { failureCode: failure.code, failureReason: failure.reason } : {}),
  };

  message.deliveryStatus = update.status;
  // A new array, not a push: JSON columns are compared by value at flush.
  message.statusHistory = [...message.statusHistory, entry];
  message.lastStatusAt = at;
  // A retried message is no longer failed; any other change keeps what is there (FAILED is terminal).
  message.failureCode = failure?.code ?? (update.retry ? null : message.failureCode);
  message.failureReason = failure?.reason ?? (update.retry ? null : message.failureReason);
  return appendEvent(em, {
    tenantId: message.tenantId,
    type: EventType.MESSAGE_STATUS_CHANGED,
    inboxId: message.inboxId,
    conversationId: message.conversationId,
    messageId: message.id,
    actorType: SenderType.SYSTEM,
    causationId: update.causationId ?? null,
    // `failure` as the delivery API names it; the flat fields are what event-payloads.ts readers use.
    payload: { from, to: update.status, ...(failure ? { failure, failureCode: failure.code, failureReason: failure.reason } : {}) },
  });
}

/**
 * Applies the statuses parked for a message's channel id (callbacks that beat the worker's
 * commit), oldest first, and removes them. Call in the transaction that stores the id, after
 * {@link lockChannelMessage}.
 */
export async function applyPendingStatuses(em: EntityManager, message: Message): Promise<DomainEvent[]> {
  if (!message.channelMessageId) return [];
  const parked = await em.find(
    PendingStatus,
    { inboxId: message.inboxId, channelMessageId: message.channelMessageId },
    { orderBy: { occurredAt: 'asc', id: 'asc' } },
  );
  const events: DomainEvent[] = [];
  for (const p of parked) {
    const event = await applyStatusChange(em, message, {
      status: p.status,
      at: p.occurredAt,
      failure: p.failureCode ? { code: p.failureCode, reason: p.failureReason ?? p.failureCode } : null,
      causationId: p.providerEventId,
    });
    if (event) events.push(event);
    em.remove(p);
  }
  return events;
}

/**
 * A provider status callback: applied to the message with that channel id, or parked in
 * PendingStatus when we have not stored the id yet (the provider answered the webhook before
 * our send request returned). Runs in the caller's transaction.
 */
export async function receiveProviderStatus(em: EntityManager, inboxId: string, event: StatusChangedEvent): Promise<DomainEvent[]> {
  await lockChannelMessage(em, inboxId, event.channelMessageId);
  const message = await em.findOne(Message, { inboxId, channelMessageId: event.channelMessageId }, lockedRead<Message>(em));
  if (!message) {
    em.create(PendingStatus, {
      inboxId,
      channelMessageId: event.channelMessageId,
      status: event.status,
      failureCode: event.failure?.code ?? null,
      failureReason: event.failure?.reason ?? null,
      providerEventId: event.providerEventId,
      occurredAt: event.occurredAt,
      receivedAt: new Date(),
    });
    return [];
  }
  const applied = await applyStatusChange(em, message, {
    status: event.status,
    at: event.occurredAt,
    failure: event.failure,
    causationId: event.providerEventId,
  });
  return applied ? [applied] : [];
}

/**
 * A run of provider status callbacks for one inbox, applied in order in the caller's transaction,
 * with the same outcome as calling {@link receiveProviderStatus} for each: the messages the run
 * names by channel id are read in one query (PostgreSQL: locked in id order, then the channel ids'
 * advisory locks in sorted order, so two runs wait for each other instead of deadlocking) and
 * updated in memory; a callback whose channel id names none of them goes through
 * `receiveProviderStatus` itself (parking, matching by our echoed id). Webhook batches use this:
 * a read and a write per callback made a 5,000-status batch take a minute.
 */
export async function receiveProviderStatuses(em: EntityManager, inboxId: string, events: StatusChangedEvent[]): Promise<DomainEvent[]> {
  const channelIds = [...new Set(events.map((e) => e.channelMessageId))].sort();
  const found = channelIds.length
    ? await em.find(
        Message,
        { inboxId, channelMessageId: { $in: channelIds } },
        {
          ...(lockedRead<Message>(em) as object),
          orderBy: { id: 'asc' },
        },
      )
    : [];
  for (const id of channelIds) await lockChannelMessage(em, inboxId, id);
  const byChannelId = new Map(found.map((m) => [m.channelMessageId!, m]));
  const recorded: DomainEvent[] = [];
  for (const event of events) {
    const known = byChannelId.get(event.channelMessageId);
    if (!known) {
      await em.flush();
      recorded.push(...(await receiveProviderStatus(em, inboxId, event)));
      continue;
    }
    const applied = await applyStatusChange(em, known, {
      status: event.status,
      at: event.occurredAt,
      failure: event.failure,
      causationId: event.providerEventId,
    });
    if (applied) recorded.push(applied);
  }
  return recorded;
}
