import type { SqlEntityManager } from '@mikro-orm/knex';
import type { NormalisedInboundEvent } from '../../channels/channel-adapter';
import type { Database } from '../../db/orm';
import { newId } from '../../lib/ids';
import type { DomainEvent } from '../event/event.entity';
import { retryOnUniqueViolation } from '../idempotency/idempotency.service';
import type { Inbox } from '../inbox/inbox.entity';
import { receiveInboundMessage, receiveInboundReaction } from './inbound.service';
import { receiveProviderStatus } from './status.service';
import { WebhookReceipt } from './webhook-receipt.entity';

/** What ingesting one provider event did. */
export interface IngestOutcome {
  /** The event had been ingested before (providers redeliver webhooks): nothing changed. */
  duplicate: boolean;
  /** Events to publish once the transaction has committed. */
  events: DomainEvent[];
}

/**
 * Records the receipt of a provider event; false when it was already recorded. An upsert that
 * ignores the conflict, so a duplicate neither fails nor poisons the transaction (PostgreSQL
 * aborts a transaction on a unique violation).
 */
async function recordReceipt(em: SqlEntityManager, inboxId: string, providerEventId: string, now: Date): Promise<boolean> {
  const result = await em
    .createQueryBuilder(WebhookReceipt)
    .insert({ id: newId('webhook'), inboxId, providerEventId, receivedAt: now })
    .onConflict(['inboxId', 'providerEventId'])
    .ignore()
    .execute('run');
  return result.affectedRows > 0;
}

/**
 * Ingests one verified provider event in one short transaction: the receipt (idempotency by
 * provider event id) and its effect (status change, customer message or reaction) commit
 * together, so a crash in between leaves neither and the provider's redelivery starts clean.
 * Publishing the returned events is the caller's, after this resolves.
 */
export async function ingestProviderEvent(
  db: Database,
  inbox: Inbox,
  event: NormalisedInboundEvent,
  now = new Date(),
): Promise<IngestOutcome> {
  // Two first messages from one new address race on the contact identity's unique index; the
  // retry finds the winner's contact.
  return retryOnUniqueViolation(() =>
    (db.em.fork() as SqlEntityManager).transactional(async (tx): Promise<IngestOutcome> => {
      // The receipt is written first: on SQLite that takes the write lock before anything is read.
      if (!(await recordReceipt(tx, inbox.id, event.providerEventId, now))) return { duplicate: true, events: [] };
      switch (event.type) {
        case 'status_changed':
          return { duplicate: false, events: await receiveProviderStatus(tx, inbox.id, event) };
        case 'message_received':
          return { duplicate: false, events: (await receiveInboundMessage(tx, inbox, event, now)).events };
        case 'reaction_received':
          return { duplicate: false, events: (await receiveInboundReaction(tx, inbox, event)).events };
      }
    }),
  );
}
