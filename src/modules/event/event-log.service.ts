import { raw, type EntityManager, type FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { Tenant } from '../tenant/tenant.entity';
import { DomainEvent } from './event.entity';
import type { EventType } from './event-type';

/** Which slice of a tenant's log to read. */
export interface ReadEventsOptions {
  /** Exclusive lower bound: events with seq > after. */
  after: number;
  /** Inclusive upper bound; omit for "up to the newest". */
  upTo?: number | null;
  /** The inboxes the reader may see; null/undefined = the whole tenant. An empty list reads nothing. */
  inboxIds?: readonly string[] | null;
  conversationId?: string | null;
  types?: readonly EventType[] | null;
  limit: number;
}

/**
 * One page of a tenant's event log, ascending by seq. Uses the (tenant_id, inbox_id, seq) and
 * (conversation_id, seq) indexes; callers page by passing the last seq as the next `after`.
 */
export async function readEvents(em: EntityManager, tenantId: string, opts: ReadEventsOptions): Promise<DomainEvent[]> {
  if (opts.inboxIds && opts.inboxIds.length === 0) return [];
  const where: FilterQuery<DomainEvent> = {
    tenantId,
    seq: opts.upTo != null ? { $gt: opts.after, $lte: opts.upTo } : { $gt: opts.after },
    ...(opts.inboxIds ? { inboxId: { $in: [...opts.inboxIds] } } : {}),
    ...(opts.conversationId ? { conversationId: opts.conversationId } : {}),
    ...(opts.types?.length ? { type: { $in: [...opts.types] } } : {}),
  };
  return em.find(DomainEvent, where, { orderBy: { seq: 'asc' }, limit: opts.limit });
}

/** The lowest seq still in the tenant's log, or null when it holds nothing (never written, or all pruned). */
export async function oldestRetainedSeq(em: EntityManager, tenantId: string): Promise<number | null> {
  const knex = (em as SqlEntityManager).getKnex();
  const rows: { oldest: number | string | null }[] = await (em as SqlEntityManager).execute(
    knex('event').min({ oldest: 'seq' }).where({ tenant_id: tenantId }),
  );
  const oldest = rows[0]?.oldest;
  return oldest === null || oldest === undefined ? null : Number(oldest);
}

/** The newest seq handed out for the tenant (0 before the first event). */
export async function headSeq(em: EntityManager, tenantId: string): Promise<number> {
  const knex = (em as SqlEntityManager).getKnex();
  const rows: { event_seq: number | string }[] = await (em as SqlEntityManager).execute(
    knex('tenant').select('event_seq').where({ id: tenantId }),
  );
  return rows.length ? Number(rows[0].event_seq) : 0;
}

/** Why a cursor cannot be resumed from without losing events. */
export enum CursorProblem {
  /** Events after the cursor were pruned (older than the retention period). */
  EXPIRED = 'expired',
  /** The cursor is ahead of the log: not one this workspace handed out (another workspace's, or a restored database). */
  UNKNOWN = 'unknown',
}

/** The result of checking a resume point against the log. */
export interface CursorCheck {
  problem: CursorProblem | null;
  /** Newest seq at the time of the check. */
  head: number;
  /** Lowest seq a client may resume after without a gap (oldest retained - 1). */
  oldestResumable: number;
}

/**
 * Whether resuming after `after` would silently skip events. Pruning only ever removes a prefix of
 * the log (see pruneEvents), so "after + 1 is still retained, or nothing after it was ever written"
 * is exactly "no gap". Check it AFTER reading: a prune between the read and this check then shows
 * up here instead of as a hole in what was read.
 */
export async function checkCursor(em: EntityManager, tenantId: string, after: number): Promise<CursorCheck> {
  const [head, oldest] = await Promise.all([headSeq(em, tenantId), oldestRetainedSeq(em, tenantId)]);
  const oldestResumable = (oldest ?? head + 1) - 1;
  const problem = after > head ? CursorProblem.UNKNOWN : after < oldestResumable ? CursorProblem.EXPIRED : null;
  return { problem, head, oldestResumable };
}

/**
 * Deletes every tenant's events created before `cutoff`, as a prefix of each tenant's log: per
 * tenant, everything up to the newest seq that is older than the cutoff. Deleting by seq rather than
 * by time keeps the retained log contiguous even when clocks of several writers disagree. Returns
 * the number of rows deleted.
 */
export async function pruneEvents(em: EntityManager, cutoff: Date): Promise<number> {
  const sql = em as SqlEntityManager;
  // Through the query builder, so the cutoff is converted like the column's own values are.
  const bounds: { tenant_id: string; upto: number | string }[] = await sql
    .createQueryBuilder(DomainEvent, 'e')
    .select(['e.tenant_id', raw('max(e.seq) as upto')])
    .where({ createdAt: { $lt: cutoff } })
    .groupBy('e.tenant_id')
    .execute('all', false);
  let deleted = 0;
  for (const { tenant_id, upto } of bounds) {
    deleted += await sql.nativeDelete(DomainEvent, { tenantId: tenant_id, seq: { $lte: Number(upto) } });
  }
  return deleted;
}

/** Tenants that exist (the window scheduler listens to each one's events). */
export async function tenantIds(em: EntityManager): Promise<string[]> {
  const rows = await em.find(Tenant, {}, { fields: ['id'] });
  return rows.map((t) => t.id);
}
