import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Database } from '../../db/orm';
import { OutboxEntry, OutboxState } from './outbox-entry.entity';

/** One leased delivery: the worker owns it until `leaseUntil`, then anyone may claim it again. */
export interface DeliveryJob {
  outboxId: string;
  messageId: string;
  inboxId: string;
  tenantId: string;
  /**
   * Which attempt this claim is (1 = first). Also the fencing token: the outcome is recorded only
   * while the entry's `attempts` still equals it, so a worker whose lease expired and was taken
   * over cannot overwrite its successor's result.
   */
  attempt: number;
  leaseUntil: Date;
}

/**
 * Where the delivery worker gets its work. The outbox table stays the source of truth (entries
 * are written in the send's transaction and outcomes recorded there), so another implementation,
 * e.g. Redis, only has to replace how due entries are found and leased.
 */
export interface DeliveryQueue {
  /** Leases up to `limit` due entries (never one another claimer holds an unexpired lease on). */
  claim(limit: number, now?: Date): Promise<DeliveryJob[]>;
  /** When the next entry becomes claimable (due, or its lease runs out); null when nothing is pending. */
  nextDueAt(now?: Date): Promise<Date | null>;
}

/**
 * The embedded queue: claims straight from the `outbox_entry` table. A claim is a compare-and-set
 * on `attempts`, so two workers (or two processes on one SQLite file) can never both win the same
 * entry; on PostgreSQL the candidates are also read `FOR UPDATE SKIP LOCKED` so workers do not
 * queue behind each other's candidates.
 */
export class OutboxDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly db: Database,
    private readonly leaseMs: number,
  ) {}

  async claim(limit: number, now: Date = new Date()): Promise<DeliveryJob[]> {
    if (limit <= 0) return [];
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    return (this.db.em.fork() as SqlEntityManager).transactional(async (tx) => {
      const qb = tx
        .createQueryBuilder(OutboxEntry)
        .select('*')
        .where({
          state: OutboxState.PENDING,
          nextAttemptAt: { $lte: now },
          $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }],
        })
        .orderBy({ nextAttemptAt: 'asc', id: 'asc' })
        .limit(limit);
      if (this.db.dialect === 'postgresql') qb.setLockMode(LockMode.PESSIMISTIC_PARTIAL_WRITE);
      const candidates = await qb.getResult();
      const jobs: DeliveryJob[] = [];
      for (const entry of candidates) {
        const won = await tx.nativeUpdate(
          OutboxEntry,
          { id: entry.id, attempts: entry.attempts, state: OutboxState.PENDING },
          { attempts: entry.attempts + 1, lockedUntil: leaseUntil, updatedAt: now },
        );
        if (won !== 1) continue;
        jobs.push({
          outboxId: entry.id,
          messageId: entry.messageId,
          inboxId: entry.inboxId,
          tenantId: entry.tenantId,
          attempt: entry.attempts + 1,
          leaseUntil,
        });
      }
      return jobs;
    });
  }

  async nextDueAt(now: Date = new Date()): Promise<Date | null> {
    const em = this.db.em.fork();
    const free = await em.findOne(
      OutboxEntry,
      { state: OutboxState.PENDING, $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }] },
      { orderBy: { nextAttemptAt: 'asc' } },
    );
    const leased = await em.findOne(
      OutboxEntry,
      { state: OutboxState.PENDING, lockedUntil: { $gt: now } },
      { orderBy: { lockedUntil: 'asc' } },
    );
    const times = [free?.nextAttemptAt, leased?.lockedUntil].filter((d): d is Date => d instanceof Date);
    return times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : null;
  }
}
