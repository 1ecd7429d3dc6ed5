import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { SenderRateLimits } from '../../channels/channel-adapter';
import type { Database } from '../../db/orm';

/** A rate-limit answer without Retry-After and without the adapter's own pause slows the sender this long. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 1000;

/** The throughput an attempt must respect: null fields are unlimited. */
export interface SendLimits {
  /** Milliseconds between two sends of the inbox (1000 / sends per second). */
  senderIntervalMs: number | null;
  /** Milliseconds between two sends to one recipient, and how many may go at once. */
  recipientIntervalMs: number | null;
  recipientBurst: number;
}

/**
 * The limits of one inbox: the provider's declared figures, with the inbox's own `sendsPerSecond`
 * lowering (never raising) the per-second one. Without either the sender is unlimited.
 */
export function sendLimits(declared: SenderRateLimits | undefined, inboxSendsPerSecond: number | null | undefined): SendLimits {
  const perSecond = [declared?.perSecond, inboxSendsPerSecond ?? undefined].filter((n): n is number => n !== undefined && n > 0);
  const perRecipient = declared?.perRecipientPerSecond;
  return {
    senderIntervalMs: perSecond.length ? 1000 / Math.min(...perSecond) : null,
    recipientIntervalMs: perRecipient && perRecipient > 0 ? 1000 / perRecipient : null,
    recipientBurst: Math.max(1, Math.floor(declared?.recipientBurst ?? 1)),
  };
}

/** Throttle keys: one per sender, one per sender and recipient. */
export const senderKey = (inboxId: string) => `inbox:${inboxId}`;
export const recipientKey = (inboxId: string, to: string) => `inbox:${inboxId}:to:${to}`;

/** `max(a, b)` in the database's dialect (SQLite's scalar max, PostgreSQL's greatest). */
const greatest = (dialect: Database['dialect']) => (dialect === 'postgresql' ? 'greatest' : 'max');

/**
 * Reserves the next send slot under `key` in one atomic statement (an upsert returning the new
 * schedule), so workers on several servers sharing the database never hand out the same slot.
 * GCRA: the schedule moves to `max(nextAt, earliest) + interval`; the slot is `burst - 1`
 * intervals before the schedule's old value, and never before `earliest`.
 *
 * @returns the slot (epoch ms); the send may go now when it is not after `nowMs`.
 */
export async function reserveSlot(
  em: EntityManager,
  dialect: Database['dialect'],
  key: string,
  earliestMs: number,
  intervalMs: number,
  burst = 1,
): Promise<number> {
  const interval = Math.max(1, Math.ceil(intervalMs));
  const max = greatest(dialect);
  const rows: { next_at: string | number }[] = await (em as SqlEntityManager).execute(
    `insert into send_throttle ("key", next_at) values (?, ?)
     on conflict ("key") do update set next_at = ${max}(send_throttle.next_at, ?) + ?
     returning next_at`,
    [key, earliestMs + interval, earliestMs, interval],
  );
  const scheduled = Number(rows[0].next_at);
  return Math.max(earliestMs, scheduled - interval - (Math.max(1, burst) - 1) * interval);
}

/**
 * When {@link reserveSlot} under `key` would first hand out a slot, without reserving one (epoch
 * ms; 0 when the key has no schedule): GCRA's `nextAt - (burst - 1) · interval`.
 */
export async function recipientFreeAt(em: EntityManager, key: string, intervalMs: number, burst = 1): Promise<number> {
  const rows: { next_at: string | number }[] = await (em as SqlEntityManager).execute('select next_at from send_throttle where "key" = ?', [
    key,
  ]);
  if (!rows.length) return 0;
  const interval = Math.max(1, Math.ceil(intervalMs));
  return Number(rows[0].next_at) - (Math.max(1, burst) - 1) * interval;
}

/** Pushes the sender's schedule to at least `untilMs` (a provider's rate-limit answer): no slot before then. */
export async function pauseSender(em: EntityManager, dialect: Database['dialect'], key: string, untilMs: number): Promise<void> {
  const max = greatest(dialect);
  await (em as SqlEntityManager).execute(
    `insert into send_throttle ("key", next_at) values (?, ?)
     on conflict ("key") do update set next_at = ${max}(send_throttle.next_at, ?)`,
    [key, untilMs, untilMs],
  );
}

/** When the sender's schedule frees up (epoch ms; 0 when it has none): a rate-limit pause for an otherwise unlimited sender. */
export async function senderPausedUntil(em: EntityManager, key: string): Promise<number> {
  const rows: { next_at: string | number }[] = await (em as SqlEntityManager).execute('select next_at from send_throttle where "key" = ?', [
    key,
  ]);
  return rows.length ? Number(rows[0].next_at) : 0;
}
