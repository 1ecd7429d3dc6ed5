import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Database } from '../../db/orm';
import { Inbox } from '../../modules/inbox/inbox.entity';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import { SandboxCallback } from './sandbox-callback.entity';
import type { SandboxCallbackTarget } from './sandbox.carrier';
import { sandboxSettings, sandboxWebhookSecret } from './sandbox.settings';

/** A message the sandbox accepts, with the callbacks it will owe for it. */
export interface SandboxAcceptance {
  inboxId: string;
  messageId: string;
  channelMessageId: string;
  recipient: string;
  /** Statuses to report, in order (may be empty). */
  statuses: DeliveryStatus[];
  intervalMs: number;
  acceptedAt: Date;
}

/** One status callback a claimer now owns until `leaseUntil`. */
export interface ClaimedCallback {
  id: number;
  inboxId: string;
  channelMessageId: string;
  status: DeliveryStatus;
  step: number;
  /** How many statuses the row reports in all (the row is done after step `total - 1`). */
  total: number;
  intervalMs: number;
  attempts: number;
}

/** Where a claimed row goes: its next step at `dueAt` (attempts counted for that step), or done (null). */
export interface CallbackSettlement {
  id: number;
  next: { step: number; attempts: number; dueAt: Date } | null;
}

/**
 * The sandbox provider's memory: which message ids it accepted and which callbacks it owes.
 * {@link DbSandboxStore} keeps it in the database so it survives a crash; {@link MemorySandboxStore}
 * is the bounded in-process stand-in for a carrier used without one (unit tests).
 */
export interface SandboxStore {
  /** The channel message id the sandbox gave this message, or null when it never accepted it. */
  findAccepted(inboxId: string, messageId: string): Promise<string | null>;
  /** Records an acceptance and its callbacks at once; false when the message id was already accepted. */
  accept(acceptance: SandboxAcceptance): Promise<boolean>;
  /** Leases up to `limit` due callbacks (never one another claimer holds an unexpired lease on). */
  claim(limit: number, now: Date, leaseMs: number): Promise<{ token: string; callbacks: ClaimedCallback[] }>;
  /** Records where claimed rows go next; rows whose lease another claimer took since are left alone. */
  settle(token: string, settlements: CallbackSettlement[], now: Date): Promise<void>;
  /** When a callback next becomes claimable (due, or its lease runs out); null when none is owed. */
  nextWakeAt(now: Date): Promise<Date | null>;
  /** Whether any callback is still owed. */
  hasPending(): Promise<boolean>;
}

/** `SANDBOX_PROVIDER` (sandbox.adapter.ts imports this module, so the name is repeated rather than imported). */
const SANDBOX_PROVIDER_NAME = 'sandbox';

const joinStatuses = (statuses: DeliveryStatus[]) => statuses.join(',');
const splitStatuses = (s: string) => (s === '' ? [] : (s.split(',') as DeliveryStatus[]));

/** Groups settlements that write the same values, so a batch costs one UPDATE per distinct outcome, not one per row. */
function groupSettlements(settlements: CallbackSettlement[]): { ids: number[]; next: CallbackSettlement['next'] }[] {
  const groups = new Map<string, { ids: number[]; next: CallbackSettlement['next'] }>();
  for (const s of settlements) {
    const key = s.next ? `${s.next.step}:${s.next.attempts}:${s.next.dueAt.getTime()}` : 'done';
    const group = groups.get(key) ?? { ids: [], next: s.next };
    group.ids.push(s.id);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The durable store: one `sandbox_callback` row per accepted message. Claims are a lease taken with
 * one UPDATE under a fresh claim token (a compare-and-set on the lease, so two processes never
 * both win a row); on PostgreSQL the candidates are also read `FOR UPDATE SKIP LOCKED`.
 */
export class DbSandboxStore implements SandboxStore {
  constructor(private readonly db: Database) {}

  async findAccepted(inboxId: string, messageId: string): Promise<string | null> {
    const row = await this.db.em.fork().findOne(SandboxCallback, { inboxId, messageId }, { fields: ['channelMessageId'] });
    return row?.channelMessageId ?? null;
  }

  async accept(a: SandboxAcceptance): Promise<boolean> {
    const done = a.statuses.length === 0;
    try {
      await this.db.em.fork().insert(SandboxCallback, {
        inboxId: a.inboxId,
        messageId: a.messageId,
        channelMessageId: a.channelMessageId,
        recipient: a.recipient,
        statuses: joinStatuses(a.statuses),
        step: 0,
        intervalMs: a.intervalMs,
        attempts: 0,
        dueAt: done ? null : new Date(a.acceptedAt.getTime() + a.intervalMs),
        lockedUntil: null,
        claimToken: null,
        acceptedAt: a.acceptedAt,
        doneAt: done ? a.acceptedAt : null,
      });
      return true;
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return false;
      throw err;
    }
  }

  async claim(limit: number, now: Date, leaseMs: number): Promise<{ token: string; callbacks: ClaimedCallback[] }> {
    const token = randomUUID();
    if (limit <= 0) return { token, callbacks: [] };
    const claimable = { dueAt: { $lte: now }, $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }] };
    const rows = await (this.db.em.fork() as SqlEntityManager).transactional(async (tx) => {
      const qb = tx.createQueryBuilder(SandboxCallback).select(['id']).where(claimable).orderBy({ dueAt: 'asc' }).limit(limit);
      if (this.db.dialect === 'postgresql') qb.setLockMode(LockMode.PESSIMISTIC_PARTIAL_WRITE);
      const ids = (await qb.getResult()).map((r) => r.id);
      if (ids.length === 0) return [];
      await tx.nativeUpdate(
        SandboxCallback,
        { id: { $in: ids }, ...claimable },
        { claimToken: token, lockedUntil: new Date(now.getTime() + leaseMs) },
      );
      return tx.find(SandboxCallback, { claimToken: token }, { orderBy: { dueAt: 'asc' } });
    });
    return {
      token,
      callbacks: rows.flatMap((r) => {
        const statuses = splitStatuses(r.statuses);
        const status = statuses[r.step];
        if (!status) return [];
        return [
          {
            id: r.id,
            inboxId: r.inboxId,
            channelMessageId: r.channelMessageId,
            status,
            step: r.step,
            total: statuses.length,
            intervalMs: r.intervalMs,
            attempts: r.attempts,
          },
        ];
      }),
    };
  }

  async settle(token: string, settlements: CallbackSettlement[], now: Date): Promise<void> {
    if (settlements.length === 0) return;
    await this.db.em.fork().transactional(async (tx) => {
      for (const { ids, next } of groupSettlements(settlements)) {
        await tx.nativeUpdate(
          SandboxCallback,
          { id: { $in: ids }, claimToken: token },
          next
            ? { step: next.step, attempts: next.attempts, dueAt: next.dueAt, lockedUntil: null, claimToken: null }
            : { dueAt: null, lockedUntil: null, claimToken: null, doneAt: now },
        );
      }
    });
  }

  async nextWakeAt(now: Date): Promise<Date | null> {
    const em = this.db.em.fork();
    const free = await em.findOne(
      SandboxCallback,
      { dueAt: { $ne: null }, $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }] },
      { orderBy: { dueAt: 'asc' }, fields: ['dueAt'] },
    );
    const leased = await em.findOne(
      SandboxCallback,
      { lockedUntil: { $gt: now }, dueAt: { $ne: null } },
      { orderBy: { lockedUntil: 'asc' }, fields: ['lockedUntil'] },
    );
    const times = [free?.dueAt, leased?.lockedUntil].filter((d): d is Date => d instanceof Date);
    return times.length ? new Date(Math.min(...times.map((d) => d.getTime()))) : null;
  }

  async hasPending(): Promise<boolean> {
    return (await this.db.em.fork().findOne(SandboxCallback, { dueAt: { $ne: null } }, { fields: ['id'] })) !== null;
  }
}

interface MemoryRow extends SandboxAcceptance {
  id: number;
  step: number;
  attempts: number;
  dueAt: Date | null;
  lockedUntil: Date | null;
  claimToken: string | null;
}

/**
 * The in-process store of a carrier used without a database: the same rules, lost with the
 * process. Keeps the newest `limit` accepted messages (a message id older than that is new again).
 */
export class MemorySandboxStore implements SandboxStore {
  private readonly rows = new Map<string, MemoryRow>();
  private nextId = 1;

  constructor(private readonly limit: number) {}

  async findAccepted(inboxId: string, messageId: string): Promise<string | null> {
    return this.rows.get(`${inboxId}:${messageId}`)?.channelMessageId ?? null;
  }

  async accept(a: SandboxAcceptance): Promise<boolean> {
    const key = `${a.inboxId}:${a.messageId}`;
    if (this.rows.has(key)) return false;
    const dueAt = a.statuses.length ? new Date(a.acceptedAt.getTime() + a.intervalMs) : null;
    this.rows.set(key, { ...a, id: this.nextId++, step: 0, attempts: 0, dueAt, lockedUntil: null, claimToken: null });
    while (this.rows.size > this.limit) this.rows.delete(this.rows.keys().next().value as string);
    return true;
  }

  async claim(limit: number, now: Date, leaseMs: number): Promise<{ token: string; callbacks: ClaimedCallback[] }> {
    const token = randomUUID();
    const due = [...this.rows.values()]
      .filter((r) => r.dueAt && r.dueAt <= now && (!r.lockedUntil || r.lockedUntil <= now))
      .sort((a, b) => a.dueAt!.getTime() - b.dueAt!.getTime())
      .slice(0, Math.max(0, limit));
    for (const r of due) {
      r.claimToken = token;
      r.lockedUntil = new Date(now.getTime() + leaseMs);
    }
    return {
      token,
      callbacks: due.map((r) => ({
        id: r.id,
        inboxId: r.inboxId,
        channelMessageId: r.channelMessageId,
        status: r.statuses[r.step],
        step: r.step,
        total: r.statuses.length,
        intervalMs: r.intervalMs,
        attempts: r.attempts,
      })),
    };
  }

  async settle(token: string, settlements: CallbackSettlement[]): Promise<void> {
    const byId = new Map(settlements.map((s) => [s.id, s.next]));
    for (const r of this.rows.values()) {
      if (r.claimToken !== token || !byId.has(r.id)) continue;
      const next = byId.get(r.id)!;
      Object.assign(r, { lockedUntil: null, claimToken: null }, next ? next : { dueAt: null });
    }
  }

  async nextWakeAt(now: Date): Promise<Date | null> {
    let min: number | null = null;
    for (const r of this.rows.values()) {
      if (!r.dueAt) continue;
      const t = r.lockedUntil && r.lockedUntil > now ? r.lockedUntil.getTime() : r.dueAt.getTime();
      min = min === null ? t : Math.min(min, t);
    }
    return min === null ? null : new Date(min);
  }

  async hasPending(): Promise<boolean> {
    for (const r of this.rows.values()) if (r.dueAt) return true;
    return false;
  }
}

/**
 * Resolves where the sandbox calls back each inbox, as of now: the current server's webhook URL
 * and the inbox's current secret (one query per batch). Resolving at post time, not storing it with
 * the callback, is what lets a restarted server — on another port, or with another random
 * `SANDBOX_WEBHOOK_SECRET` — receive callbacks its predecessor owed. Inboxes that are gone or no
 * longer on the sandbox are missing from the map.
 */
export function sandboxCallbackTargets(
  db: Database,
  opts: { webhookUrl: (inboxId: string) => string; serverSecret: string },
): (inboxIds: string[]) => Promise<Map<string, SandboxCallbackTarget>> {
  return async (inboxIds) => {
    const inboxes = await db.em
      .fork()
      .find(Inbox, { id: { $in: inboxIds }, provider: SANDBOX_PROVIDER_NAME }, { fields: ['id', 'providerConfig'] });
    return new Map(
      inboxes.map((inbox) => [
        inbox.id,
        {
          url: opts.webhookUrl(inbox.id),
          secret: sandboxWebhookSecret(inbox.id, sandboxSettings(inbox.providerConfig), opts.serverSecret),
        },
      ]),
    );
  };
}

/**
 * Deletes sandbox rows whose callbacks were all posted before `cutoff`; returns how many. With the
 * row goes the sandbox's memory of the message id, so the retention must outlast any resend of it
 * (the delivery worker gives up within hours; the default webhook retention is 168 h).
 */
export function pruneSandboxCallbacks(em: EntityManager, cutoff: Date): Promise<number> {
  return em.nativeDelete(SandboxCallback, { doneAt: { $lt: cutoff } });
}
