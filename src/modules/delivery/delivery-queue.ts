import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Database } from '../../db/orm';
import { Inbox } from '../inbox/inbox.entity';
import { OutboxEntry, OutboxState } from './outbox-entry.entity';

/**
 * The claim's order rule: no PENDING entry of the same conversation comes before this one. Row
 * value comparison (SQLite ≥ 3.15, PostgreSQL) reads the (conversation_id, state, queued_at,
 * message_id) index as one range. A scalar `(… limit 1) is null` rather than NOT EXISTS: PostgreSQL
 * turns NOT EXISTS into a hash anti-join over every PENDING entry (3,000 pending: 90 → 290 ms a
 * claim), while the scalar subquery is one index probe per candidate row it reads.
 */
const EARLIER_PENDING_IN_CONVERSATION = `(select 1 from outbox_entry p where p.conversation_id = e.conversation_id and p.state = '${OutboxState.PENDING}' and (p.queued_at, p.message_id) < (e.queued_at, e.message_id) limit 1) is null`;

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
  /**
   * Which try of the message this is for the attempt budget (1 = first): `attempt` less the
   * claims that went back unsent because the sender had no throughput slot yet.
   */
  tries: number;
  /** A throughput slot this entry reserved when it was last deferred: it sends without reserving another. */
  reservedSlotAt: Date | null;
  leaseUntil: Date;
  /**
   * The previous attempt's outcome is unknown and its provider has no idempotency key: it ended
   * uncertain, or its lease ran out with nothing recorded (a crash in the send window), and the
   * settle window has passed with no report. Sending now may be a second copy, so the worker
   * decides whether to send at all (see DeliveryWorker).
   */
  afterUncertain: boolean;
}

/** How the embedded queue treats attempts whose outcome was never recorded. */
export interface OutboxQueueOptions {
  /** How long the provider gets to report an attempt cut short by a crash (DeliveryConfig.uncertainSettleMs). */
  settleMs: number;
  /** Whether the inbox's provider deduplicates by our message id (ChannelAdapter.idempotentSends); false when unknown. */
  idempotentSends(inbox: Inbox): boolean;
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
 *
 * A candidate whose lease ran out still carries it (every recorded outcome clears `lockedUntil`),
 * so its last attempt ended without a trace, perhaps after the provider accepted it. When the
 * provider has no idempotency key that attempt is uncertain: instead of claiming the entry, the
 * queue makes it due once the provider has had `settleMs` to report it (a report closes it first).
 *
 * Per-conversation order: an entry is claimable only while no earlier PENDING entry of its
 * conversation exists (earlier by `queuedAt`, then message id). A send takes its `queuedAt` under
 * the conversation's lock, after every PENDING entry of the conversation (conversationQueueTime),
 * so an entry can never sort before one that committed, and may already be leased, before it. A message waiting for a retry, a
 * settle window or its lease therefore holds back the later ones, and a finally failed or sent one
 * (no longer PENDING) releases them. The check is part of the claim statement itself (a NOT EXISTS
 * over the (conversation, state, queuedAt, message) index), so it holds for any number of workers
 * on one database and costs no query per row; at most one entry per conversation is ever leased.
 *
 * The provider can only report while a server listens, and redelivers its reports some time after
 * we come back: an uncertain attempt made before this queue started (by a process that has since
 * died, or during the downtime) gets its settle window counted from this queue's start as well.
 */
export class OutboxDeliveryQueue implements DeliveryQueue {
  private readonly startedAt = new Date();

  constructor(
    private readonly db: Database,
    private readonly leaseMs: number,
    private readonly options: OutboxQueueOptions = { settleMs: 0, idempotentSends: () => true },
  ) {}

  /** When an uncertain attempt that began at `since` and whose window ends at `until` may be sent again. */
  private settledAt(since: Date, until: Date): Date {
    if (since >= this.startedAt) return until;
    return new Date(Math.max(until.getTime(), this.startedAt.getTime() + this.options.settleMs));
  }

  async claim(limit: number, now: Date = new Date()): Promise<DeliveryJob[]> {
    if (limit <= 0) return [];
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    return (this.db.em.fork() as SqlEntityManager).transactional(async (tx) => {
      const qb = tx
        .createQueryBuilder(OutboxEntry, 'e')
        .select('*')
        .where({
          state: OutboxState.PENDING,
          nextAttemptAt: { $lte: now },
          $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }],
        })
        .andWhere(EARLIER_PENDING_IN_CONVERSATION)
        .orderBy({ nextAttemptAt: 'asc', id: 'asc' })
        .limit(limit);
      if (this.db.dialect === 'postgresql') qb.setLockMode(LockMode.PESSIMISTIC_PARTIAL_WRITE);
      const candidates = await qb.getResult();
      const interrupted = candidates.filter((e) => e.lockedUntil !== null);
      const inboxes = interrupted.length
        ? new Map((await tx.find(Inbox, { id: { $in: [...new Set(interrupted.map((e) => e.inboxId))] } })).map((i) => [i.id, i]))
        : new Map<string, Inbox>();
      const jobs: DeliveryJob[] = [];
      for (const entry of candidates) {
        const inbox = entry.lockedUntil !== null ? inboxes.get(entry.inboxId) : undefined;
        const crashed = entry.lockedUntil !== null && !(inbox && this.options.idempotentSends(inbox));
        if (crashed) {
          const since = new Date(entry.lockedUntil!.getTime() - this.leaseMs);
          const settledAt = this.settledAt(since, new Date(entry.lockedUntil!.getTime() + this.options.settleMs));
          if (settledAt > now) {
            // Not claimed: due again once the provider has had time to report the interrupted attempt.
            await tx.nativeUpdate(
              OutboxEntry,
              { id: entry.id, attempts: entry.attempts, state: OutboxState.PENDING },
              {
                lockedUntil: null,
                nextAttemptAt: settledAt,
                uncertainSince: since,
                lastError: 'uncertain: attempt interrupted (its lease ran out with no outcome recorded)',
                updatedAt: now,
              },
            );
            continue;
          }
        } else if (entry.uncertainSince !== null) {
          const settledAt = this.settledAt(entry.uncertainSince, entry.nextAttemptAt);
          if (settledAt > now) {
            await tx.nativeUpdate(
              OutboxEntry,
              { id: entry.id, attempts: entry.attempts, state: OutboxState.PENDING },
              { nextAttemptAt: settledAt, updatedAt: now },
            );
            continue;
          }
        }
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
          tries: entry.attempts + 1 - entry.deferrals,
          reservedSlotAt: entry.throttleSlotAt,
          leaseUntil,
          afterUncertain: crashed || entry.uncertainSince !== null,
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
