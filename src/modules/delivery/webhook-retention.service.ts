import type { EntityManager } from '@mikro-orm/core';
import { PendingStatus } from './pending-status.entity';
import { WebhookReceipt } from './webhook-receipt.entity';

/*
 * Retention of the webhook bookkeeping tables. Both only matter for a short while after a
 * provider calls: receipts deduplicate redeliveries (providers give up retrying within days), and
 * parked statuses wait for a send that is about to commit (seconds). Rows past that would only grow
 * the tables; the retention job (event-pruner.ts) deletes them.
 */

/**
 * Deletes webhook receipts received before `cutoff`; returns how many. A provider redelivering an
 * event older than the cutoff would then be ingested again, so the retention must outlast the
 * provider's retry window (WhatsApp retries for up to 7 days; the default retention is 168 h).
 */
export function pruneWebhookReceipts(em: EntityManager, cutoff: Date): Promise<number> {
  return em.nativeDelete(WebhookReceipt, { receivedAt: { $lt: cutoff } });
}

/**
 * Deletes statuses parked before `cutoff` (callbacks for a channel message id we never stored: a
 * message sent from elsewhere, or a send that never committed); returns how many. A parked status
 * for a send that does commit is applied and removed within moments, so an old one never will be.
 */
export function prunePendingStatuses(em: EntityManager, cutoff: Date): Promise<number> {
  return em.nativeDelete(PendingStatus, { receivedAt: { $lt: cutoff } });
}
