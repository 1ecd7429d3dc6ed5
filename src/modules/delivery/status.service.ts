import type { EntityManager } from '@mikro-orm/core';
import type { StatusChangedEvent } from '../../channels/channel-adapter';
import type { DomainEvent } from '../event/event.entity';
import { appendEvent, appendEvents, type EventDraft } from '../event/event.service';
import { EventType } from '../event/event-type';
import { DeliveryStatus } from '../message/delivery-status';
import { Message, type StatusChange } from '../message/message.entity';
import { MessageDirection, SenderType } from '../message/sender-type';
import { decideTransition, isUncertainFailure } from '../message/status-transitions';
import { lockChannelMessage, lockedRead } from './delivery.locks';
import { OutboxEntry, OutboxState } from './outbox-entry.entity';
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
  const draft = changeStatus(message, update);
  return draft ? appendEvent(em, draft) : null;
}

/**
 * The in-memory half of {@link applyStatusChange}: moves `message` (history, lastStatusAt, failure)
 * when the transition table allows it and returns the MESSAGE_STATUS_CHANGED draft the caller must
 * append (batch callers append many with one `appendEvents`), or null when the update is ignored.
 */
function changeStatus(message: Message, update: StatusUpdate): EventDraft | null {
  const from = message.deliveryStatus;
  if (message.direction !== MessageDirection.OUTBOUND || from === null) return null;
  const uncertainFailure = from === DeliveryStatus.FAILED && isUncertainFailure(message.failureCode);
  if (decideTransition(from, update.status, { retry: update.retry, uncertainFailure }) !== 'apply') return null;

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
  // A message leaving FAILED (a retry, or a report after an uncertain failure) is no longer failed.
  message.failureCode = failure?.code ?? (from === DeliveryStatus.FAILED ? null : message.failureCode);
  message.failureReason = failure?.reason ?? (from === DeliveryStatus.FAILED ? null : message.failureReason);
  return {
    tenantId: message.tenantId,
    type: EventType.MESSAGE_STATUS_CHANGED,
    inboxId: message.inboxId,
    conversationId: message.conversationId,
    messageId: message.id,
    actorType: SenderType.SYSTEM,
    causationId: update.causationId ?? null,
    // `failure` as the delivery API names it; the flat fields are what event-payloads.ts readers use.
    payload: { from, to: update.status, ...(failure ? { failure, failureCode: failure.code, failureReason: failure.reason } : {}) },
  };
}

/**
 * Applies the statuses parked for a message (callbacks that beat the worker's commit), matched by
 * its channel id or by our id as the provider echoed it, oldest first, and removes them. Call in
 * the transaction that stores the channel id, after {@link lockChannelMessage}.
 */
export async function applyPendingStatuses(em: EntityManager, message: Message): Promise<DomainEvent[]> {
  const ids = [{ messageId: message.id }, ...(message.channelMessageId ? [{ channelMessageId: message.channelMessageId }] : [])];
  const parked = await em.find(PendingStatus, { inboxId: message.inboxId, $or: ids }, { orderBy: { occurredAt: 'asc', id: 'asc' } });
  const events: DomainEvent[] = [];
  for (const p of parked) {
    em.remove(p);
    if (otherCopyFailure(message, p.channelMessageId, p.status)) continue;
    const event = await applyStatusChange(em, message, {
      status: p.status,
      at: p.occurredAt,
      failure: p.failureCode ? { code: p.failureCode, reason: p.failureReason ?? p.failureCode } : null,
      causationId: p.providerEventId,
    });
    if (event) events.push(event);
  }
  return events;
}

/**
 * A failure reported for another copy of a message that went out twice (a resend after an
 * uncertain attempt): the copy we track may well have arrived, so it does not fail the message;
 * the other copy's progress does count (the customer has the message).
 */
function otherCopyFailure(message: Message, channelMessageId: string, status: DeliveryStatus): boolean {
  return status === DeliveryStatus.FAILED && message.channelMessageId !== null && message.channelMessageId !== channelMessageId;
}

/**
 * The provider has the message (it reported a status for it): its outbox entry is done, whatever
 * attempt was uncertain or still under way, so nobody sends it again. A worker whose claim is
 * still out records nothing (its fencing check sees the entry closed).
 */
async function closeOutboxEntry(em: EntityManager, messageId: string, now: Date): Promise<void> {
  const entry = await em.findOne(OutboxEntry, { messageId }, lockedRead<OutboxEntry>(em));
  if (!entry || entry.state === OutboxState.DONE) return;
  entry.state = OutboxState.DONE;
  entry.lockedUntil = null;
  entry.uncertainSince = null;
  entry.updatedAt = now;
}

/**
 * A provider status callback: applied to the message with that channel id, or to the outbound
 * message of this inbox its echoed `messageId` names (then the channel id is stored if we had
 * none, and the outbox entry closed: this is how an uncertain send settles), or parked in
 * PendingStatus when neither is known yet. Runs in the caller's transaction, once per event.
 *
 * Locks (PostgreSQL) in the worker's order: the message named by our id first, then the channel
 * id's advisory lock, then the outbox entry.
 */
export async function receiveProviderStatus(em: EntityManager, inboxId: string, event: StatusChangedEvent): Promise<DomainEvent[]> {
  const ours = event.messageId
    ? await em.findOne(
        Message,
        { id: event.messageId, inboxId, direction: MessageDirection.OUTBOUND, deliveryStatus: { $ne: null } },
        lockedRead<Message>(em),
      )
    : null;
  await lockChannelMessage(em, inboxId, event.channelMessageId);
  const known =
    ours?.channelMessageId === event.channelMessageId
      ? ours
      : await em.findOne(Message, { inboxId, channelMessageId: event.channelMessageId }, lockedRead<Message>(em));
  const update = { status: event.status, at: event.occurredAt, failure: event.failure, causationId: event.providerEventId };
  if (known) {
    const applied = await applyStatusChange(em, known, update);
    return applied ? [applied] : [];
  }
  if (!ours) {
    em.create(PendingStatus, {
      inboxId,
      channelMessageId: event.channelMessageId,
      messageId: event.messageId ?? null,
      status: event.status,
      failureCode: event.failure?.code ?? null,
      failureReason: event.failure?.reason ?? null,
      providerEventId: event.providerEventId,
      occurredAt: event.occurredAt,
      receivedAt: new Date(),
    });
    return [];
  }
  const events: DomainEvent[] = [];
  if (ours.channelMessageId === null) {
    // The send's answer never reached us (timeout, crash): the provider's report settles it.
    ours.channelMessageId = event.channelMessageId;
    await closeOutboxEntry(em, ours.id, new Date());
    events.push(...(await applyPendingStatuses(em, ours)));
  } else if (otherCopyFailure(ours, event.channelMessageId, event.status)) {
    return [];
  }
  const applied = await applyStatusChange(em, ours, update);
  if (applied) events.push(applied);
  return events;
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
  // Messages named by our echoed id are locked here too, before any advisory lock: the worker
  // locks a message before the channel id it stores, so taking them in the other order deadlocks.
  const ourIds = [...new Set(events.map((e) => e.messageId).filter((id): id is string => !!id))];
  const found = channelIds.length
    ? await em.find(
        Message,
        { inboxId, $or: [{ channelMessageId: { $in: channelIds } }, ...(ourIds.length ? [{ id: { $in: ourIds } }] : [])] },
        {
          ...(lockedRead<Message>(em) as object),
          orderBy: { id: 'asc' },
        },
      )
    : [];
  for (const id of channelIds) await lockChannelMessage(em, inboxId, id);
  const byChannelId = new Map(found.filter((m) => m.channelMessageId !== null).map((m) => [m.channelMessageId!, m]));
  const recorded: DomainEvent[] = [];
  // Drafts of the changes applied in memory, appended together (two statements, not one per event);
  // appended before any callback takes the one-by-one path, so cursors follow the callbacks' order.
  let drafts: EventDraft[] = [];
  const appendDrafts = async () => {
    recorded.push(...(await appendEvents(em, drafts)));
    drafts = [];
  };
  for (const event of events) {
    const known = byChannelId.get(event.channelMessageId);
    if (!known) {
      await appendDrafts();
      await em.flush();
      recorded.push(...(await receiveProviderStatus(em, inboxId, event)));
      continue;
    }
    const draft = changeStatus(known, {
      status: event.status,
      at: event.occurredAt,
      failure: event.failure,
      causationId: event.providerEventId,
    });
    if (draft) drafts.push(draft);
  }
  await appendDrafts();
  return recorded;
}
