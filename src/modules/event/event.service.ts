import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { SenderType } from '../message/sender-type';
import { newId } from '../../lib/ids';
import { DomainEvent } from './event.entity';
import type { EventType } from './event-type';

/** What a service records about a change; the log adds id, cursor and time. */
export interface EventDraft {
  tenantId: string;
  type: EventType;
  inboxId?: string | null;
  conversationId?: string | null;
  messageId?: string | null;
  actorType?: SenderType | null;
  actorId?: string | null;
  causationId?: string | null;
  payload?: Record<string, unknown>;
}

/**
 * Reserves the tenant's next `n` cursors with one statement and returns the last of them. Bumping
 * the tenant row takes its write lock until commit, which is what keeps cursors committing in order.
 */
async function reserveCursors(em: EntityManager, tenantId: string, n: number): Promise<number> {
  const sql = em as SqlEntityManager;
  const rows: { event_seq: number | string }[] = await sql.execute(
    sql.getKnex()('tenant').where({ id: tenantId }).increment('event_seq', n).returning('event_seq'),
  );
  return Number(rows[0].event_seq);
}

/** The stored row for a draft at its cursor; the one place a draft's optional fields get their defaults. */
function eventRow(draft: EventDraft, seq: number, createdAt: Date): DomainEvent {
  return {
    id: newId('event'),
    tenantId: draft.tenantId,
    seq,
    type: draft.type,
    inboxId: draft.inboxId ?? null,
    conversationId: draft.conversationId ?? null,
    messageId: draft.messageId ?? null,
    actorType: draft.actorType ?? null,
    actorId: draft.actorId ?? null,
    causationId: draft.causationId ?? null,
    payload: draft.payload ?? {},
    createdAt,
  };
}

/**
 * Appends an event inside the caller's transaction. The cursor comes from bumping the tenant row,
 * which takes that row's write lock until commit: two transactions of one tenant can never commit
 * their cursors out of order, so a reader resuming "after N" cannot skip a late-committing N-1.
 */
export async function appendEvent(em: EntityManager, draft: EventDraft): Promise<DomainEvent> {
  const seq = await reserveCursors(em, draft.tenantId, 1);
  const event = em.create(DomainEvent, eventRow(draft, seq, new Date()));
  em.persist(event);
  return event;
}

/**
 * Appends many events inside the caller's transaction, in the order given, with one cursor
 * statement per tenant (`event_seq = event_seq + n … returning`, which reserves n consecutive
 * cursors) and one insert for all rows. The tenant row stays write-locked until commit, exactly as
 * with {@link appendEvent}, so cursors still commit in order; a batch costs two statements instead
 * of one per event. Tenants are bumped in id order so two batches spanning the same tenants cannot
 * deadlock. The rows are inserted directly, not tracked by the context: nothing edits an event
 * after it is appended, and tracking a few hundred new entities made every later flush slower.
 */
export async function appendEvents(em: EntityManager, drafts: readonly EventDraft[]): Promise<DomainEvent[]> {
  if (drafts.length === 0) return [];
  const perTenant = new Map<string, number>();
  for (const d of drafts) perTenant.set(d.tenantId, (perTenant.get(d.tenantId) ?? 0) + 1);
  // The first cursor each tenant reserved for this batch; handed out in draft order below.
  const next = new Map<string, number>();
  for (const [tenantId, n] of [...perTenant].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    next.set(tenantId, (await reserveCursors(em, tenantId, n)) - n + 1);
  }
  const createdAt = new Date();
  // Plain rows in the entity's shape: constructing managed entity instances cost more than the insert.
  const events = drafts.map((draft): DomainEvent => {
    const seq = next.get(draft.tenantId)!;
    next.set(draft.tenantId, seq + 1);
    return eventRow(draft, seq, createdAt);
  });
  await (em as SqlEntityManager).insertMany(DomainEvent, events);
  return events;
}

/** The small, serialisable form of an event that travels over pub/sub. */
export interface EventMessage {
  id: string;
  tenantId: string;
  seq: number;
  type: EventType;
  inboxId: string | null;
  conversationId: string | null;
  messageId: string | null;
  actorType: SenderType | null;
  actorId: string | null;
  causationId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

/**
 * The serialisable form of a stored event: what publishing sends over pub/sub and what a replay
 * from the log yields, so live and replayed events look the same to subscribers. Plain JSON (the
 * seq as a number, the time as ISO 8601) with ids instead of entities, so it survives any
 * transport (in-process or Redis) unchanged.
 */
export function toEventMessage(e: DomainEvent): EventMessage {
  return {
    id: e.id,
    tenantId: e.tenantId,
    seq: Number(e.seq),
    type: e.type,
    inboxId: e.inboxId,
    conversationId: e.conversationId,
    messageId: e.messageId,
    actorType: e.actorType,
    actorId: e.actorId,
    causationId: e.causationId,
    payload: e.payload,
    createdAt: e.createdAt.toISOString(),
  };
}
