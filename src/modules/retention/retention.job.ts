import { pruneSandboxCallbacks } from '../../channels/sandbox/sandbox.store';
import type { Database } from '../../db/orm';
import { fallbackLogger, type Logger } from '../../observability/logger';
import { prunePendingStatuses, pruneWebhookReceipts } from '../delivery/webhook-retention.service';
import { pruneExpiredIdempotencyRecords } from '../idempotency/idempotency.service';
import { pruneEvents } from '../event/event-log.service';

const HOUR_MS = 60 * 60 * 1000;

/** What the retention job needs to know; all of it comes from Config. */
export interface RetentionJobOptions {
  /** Events older than this are deleted; clients resuming from before then get ResyncRequired. */
  retentionHours: number;
  /**
   * Webhook receipts and parked early statuses older than this are deleted (Config
   * `webhookRetentionHours`). Absent: {@link DEFAULT_WEBHOOK_RETENTION_HOURS}.
   */
  webhookRetentionHours?: number;
  /** How often to prune; 0 disables the timer (runOnce and prune still work). */
  intervalMs: number;
  /** Where a failed run is reported (the app's logger). */
  logger?: Logger;
}

/** Webhook receipts must outlast the providers' redelivery window (WhatsApp: up to 7 days). */
export const DEFAULT_WEBHOOK_RETENTION_HOURS = 168;

/** What one retention run deleted, per table. */
export interface PruneReport {
  events: number;
  /** Idempotency records past their `expiresAt`. */
  idempotencyRecords: number;
  webhookReceipts: number;
  /** Statuses parked for channel message ids that never showed up. */
  pendingStatuses: number;
  /** Sandbox messages whose status callbacks were all posted (the sandbox forgets them). */
  sandboxCallbacks: number;
}

/**
 * The retention job: keeps every table that only grows to its retention period — the event log,
 * idempotency records, webhook receipts, parked statuses and the sandbox's finished callbacks.
 * Owned by AppDeps: the server starts it after it listens and stops it before the database closes.
 * One timer, unref'd so it never holds the process open; a run that is still going when the next tick comes is not overlapped.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneReport> | null = null;

  constructor(
    private readonly db: Database,
    private readonly options: RetentionJobOptions,
  ) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.prune().catch((err) =>
        (this.options.logger ?? fallbackLogger('retention')).error({ err, component: 'retention' }, 'pruning failed'),
      );
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run in progress, so the database can close under it safely. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * Runs every retention rule as of `now` and reports what each deleted. A call while a run is in
   * progress joins that run. Each table is its own statement: they share no invariant, and a
   * failure of one leaves the others pruned.
   */
  prune(now: Date = new Date()): Promise<PruneReport> {
    this.running ??= this.pruneAll(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Runs every retention rule as of `now` (see {@link prune}); returns how many events it deleted. */
  async runOnce(now: Date = new Date()): Promise<number> {
    return (await this.prune(now)).events;
  }

  private async pruneAll(now: Date): Promise<PruneReport> {
    const hoursAgo = (hours: number) => new Date(now.getTime() - hours * HOUR_MS);
    const webhookCutoff = hoursAgo(this.options.webhookRetentionHours ?? DEFAULT_WEBHOOK_RETENTION_HOURS);
    const em = () => this.db.em.fork();
    return {
      events: await pruneEvents(em(), hoursAgo(this.options.retentionHours)),
      idempotencyRecords: await pruneExpiredIdempotencyRecords(em(), now),
      webhookReceipts: await pruneWebhookReceipts(em(), webhookCutoff),
      pendingStatuses: await prunePendingStatuses(em(), webhookCutoff),
      sandboxCallbacks: await pruneSandboxCallbacks(em(), webhookCutoff),
    };
  }
}
