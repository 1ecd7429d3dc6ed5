import { LockMode, type EntityManager, type FindOneOptions } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { isPostgres } from '../../config';

/*
 * Locking for delivery and inbound writes. PostgreSQL runs transactions in parallel, so rows that
 * decide what a write does are locked; the embedded SQLite database runs every transaction on its
 * one connection, one after the other, so there the helpers only re-read.
 */

/**
 * Options that re-read a row inside the transaction and, on PostgreSQL, lock it until commit, so
 * two callbacks for one message apply one after the other instead of both deciding from the same
 * stale status. SQLite needs no lock: the embedded database runs on one connection, so its
 * transactions never interleave.
 */
export function lockedRead<T extends object>(em: EntityManager): FindOneOptions<T> {
  return isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : { refresh: true };
}

/**
 * Serialises "store a channel message id" against "park a status for a channel message id we do
 * not know yet" (PostgreSQL transaction-scoped advisory lock). Without it a callback could look
 * for the message just before the worker commits the id and park its status just after the
 * worker looked for parked statuses: a status lost for good.
 */
export async function lockChannelMessage(em: EntityManager, inboxId: string, channelMessageId: string): Promise<void> {
  if (!isPostgres(em)) return;
  await (em as SqlEntityManager).execute('select pg_advisory_xact_lock(hashtext(?))', [`status:${inboxId}:${channelMessageId}`]);
}
