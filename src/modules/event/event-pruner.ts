import type { Database } from '../../db/orm';
import { pruneEvents } from './event-log.service';

const HOUR_MS = 60 * 60 * 1000;

/** What the pruner needs to know; both come from Config. */
export interface EventPrunerOptions {
  /** Events older than this are deleted; clients resuming from before then get ResyncRequired. */
  retentionHours: number;
  /** How often to prune; 0 disables the timer (runOnce still works). */
  intervalMs: number;
}

/**
 * Keeps the event log to its retention period. Owned by AppDeps: the server starts it after it
 * listens and stops it before the database closes. One timer, unref'd so it never holds the
 * process open; a run that is still going when the next tick comes is not overlapped.
 */
export class EventPruner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: Database,
    private readonly options: EventPrunerOptions,
  ) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((err) => console.error('[event-pruner]', err));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run in progress, so the database can close under it safely. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Deletes events older than the retention period as of `now`; returns how many. */
  runOnce(now: Date = new Date()): Promise<number> {
    this.running ??= pruneEvents(this.db.em.fork(), new Date(now.getTime() - this.options.retentionHours * HOUR_MS)).finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
