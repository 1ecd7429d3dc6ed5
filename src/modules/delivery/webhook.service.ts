import type { SqlEntityManager } from '@mikro-orm/knex';
import type { NormalisedInboundEvent, StatusChangedEvent } from '../../channels/channel-adapter';
import type { Database } from '../../db/orm';
import { newId } from '../../lib/ids';
import type { DomainEvent } from '../event/event.entity';
import { retryOnUniqueViolation } from '../idempotency/idempotency.service';
import type { Inbox } from '../inbox/inbox.entity';
import { receiveInboundMessage, receiveInboundReaction } from './inbound.service';
import { receiveProviderStatuses } from './status.service';
import { receiveStatusWatermark } from './status-watermark.service';
import { WebhookReceipt } from './webhook-receipt.entity';

/**
 * Provider events applied per transaction. Large enough that a 5,000-event batch is a handful of
 * commits (one commit per event ran at ~80 events/s on SQLite), small enough that one transaction
 * holds the SQLite write lock (and PostgreSQL row locks) for well under a second.
 */
export const WEBHOOK_CHUNK_SIZE = 250;

/** What ingesting a webhook batch did. */
export interface IngestSummary {
  received: number;
  /** Events ingested before (providers redeliver webhooks, and may repeat an event in one batch). */
  duplicates: number;
}

/** Called after each chunk's transaction has committed, with the domain events it recorded, in order. */
export type AfterCommit = (events: DomainEvent[]) => Promise<void>;

/**
 * Records the receipts of a chunk's provider events in one statement and returns the ids that
 * were new. `on conflict do nothing returning` reports exactly the rows this transaction inserted,
 * so of two concurrent deliveries of one event only one applies it, and a duplicate neither fails
 * nor poisons the transaction (PostgreSQL aborts a transaction on a unique violation).
 */
async function recordReceipts(em: SqlEntityManager, inboxId: string, providerEventIds: string[], now: Date): Promise<Set<string>> {
  const rows = await em
    .createQueryBuilder(WebhookReceipt)
    .insert(providerEventIds.map((providerEventId) => ({ id: newId('webhook'), inboxId, providerEventId, receivedAt: now })))
    .onConflict(['inboxId', 'providerEventId'])
    .ignore()
    .returning(['providerEventId'])
    .execute('all');
  return new Set(
    (rows as unknown as Array<{ providerEventId?: string; provider_event_id?: string }>).map(
      (r) => (r.providerEventId ?? r.provider_event_id)!,
    ),
  );
}

/**
 * Applies a chunk's new events in order in the caller's transaction. Consecutive status callbacks
 * go through {@link receiveProviderStatuses} together (one read of their messages instead of one
 * each); customer messages and reactions one by one. After each step the context is flushed and
 * emptied: every flush compares each entity the context still manages, so a context that kept the
 * whole chunk would make a chunk quadratic.
 */
async function applyEvents(tx: SqlEntityManager, inbox: Inbox, events: NormalisedInboundEvent[], now: Date): Promise<DomainEvent[]> {
  const recorded: DomainEvent[] = [];
  for (let i = 0; i < events.length;) {
    const event = events[i];
    if (event.type === 'status_changed') {
      const run: StatusChangedEvent[] = [];
      while (i < events.length && events[i].type === 'status_changed') run.push(events[i++] as StatusChangedEvent);
      recorded.push(...(await receiveProviderStatuses(tx, inbox.id, run)));
    } else {
      i++;
      if (event.type === 'message_received') recorded.push(...(await receiveInboundMessage(tx, inbox, event, now)).events);
      else if (event.type === 'reaction_received') recorded.push(...(await receiveInboundReaction(tx, inbox, event)).events);
      else recorded.push(...(await receiveStatusWatermark(tx, inbox, event)));
    }
    await tx.flush();
    tx.clear();
  }
  return recorded;
}

/**
 * Ingests a verified webhook batch in chunks of {@link WEBHOOK_CHUNK_SIZE} events, one transaction
 * per chunk: the chunk's receipts (idempotency by provider event id) are inserted in one statement,
 * and each new event's effect is applied in batch order (so one message's statuses keep their
 * order) in the same transaction. A crash or failure leaves every chunk either whole or absent:
 * the provider's redelivery skips what committed and applies the rest. `afterCommit` publishes a
 * chunk's domain events once it has committed, before the next chunk starts.
 */
export async function ingestProviderEvents(
  db: Database,
  inbox: Inbox,
  events: NormalisedInboundEvent[],
  afterCommit: AfterCommit,
  opts: { now?: Date; chunkSize?: number } = {},
): Promise<IngestSummary> {
  const now = opts.now ?? new Date();
  const chunkSize = opts.chunkSize ?? WEBHOOK_CHUNK_SIZE;
  // A provider event repeated inside one batch counts as a duplicate of its first occurrence.
  const seen = new Set<string>();
  const unique = events.filter((e) => !seen.has(e.providerEventId) && seen.add(e.providerEventId));
  let duplicates = events.length - unique.length;
  for (let start = 0; start < unique.length; start += chunkSize) {
    const chunk = unique.slice(start, start + chunkSize);
    // Two first messages from one new address race on the contact identity's unique index; the
    // retry (of the whole chunk: its receipts rolled back with it) finds the winner's contact.
    const outcome = await retryOnUniqueViolation(() =>
      (db.em.fork() as SqlEntityManager).transactional(async (tx) => {
        // The receipts are written first: on SQLite that takes the write lock before anything is read.
        const fresh = await recordReceipts(
          tx,
          inbox.id,
          chunk.map((e) => e.providerEventId),
          now,
        );
        const applied = chunk.filter((e) => fresh.has(e.providerEventId));
        const recorded = await applyEvents(tx, inbox, applied, now);
        return { recorded, duplicates: chunk.length - applied.length };
      }),
    );
    duplicates += outcome.duplicates;
    await afterCommit(outcome.recorded);
  }
  return { received: events.length, duplicates };
}
