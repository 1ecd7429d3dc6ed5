import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Database } from '../db/orm';

/**
 * A raw PostgreSQL connection (node-postgres `Client`) taken out of the ORM's pool: session-level
 * advisory locks live as long as the connection, so they must be held on one that nothing else uses.
 * Typed loosely because `pg` is the driver's dependency, not ours.
 */
export interface RawConnection {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  on(event: 'error' | 'end', listener: (...args: unknown[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

interface KnexClient {
  acquireConnection(): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): Promise<void>;
}

function knexClient(db: Database): KnexClient {
  return (db.em as SqlEntityManager).getKnex().client as KnexClient;
}

/** Takes a connection out of the pool until {@link releaseConnection}. */
export function acquireConnection(db: Database): Promise<RawConnection> {
  return knexClient(db).acquireConnection();
}

/** Gives a connection back to the pool. */
export async function releaseConnection(db: Database, connection: RawConnection): Promise<void> {
  await knexClient(db).releaseConnection(connection);
}

/**
 * Runs `work` while holding the session advisory lock named `name` on PostgreSQL (waiting for it),
 * so several instances starting against one database do it one after another; on SQLite it just
 * runs (one process owns the file). The lock is released even when `work` fails, and by PostgreSQL
 * itself if the process dies.
 */
export async function withAdvisoryLock<T>(db: Database, name: string, work: () => Promise<T>): Promise<T> {
  if (db.dialect !== 'postgresql') return work();
  const connection = await acquireConnection(db);
  try {
    await connection.query('select pg_advisory_lock(hashtext($1))', [name]);
    try {
      return await work();
    } finally {
      await connection.query('select pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    await releaseConnection(db, connection);
  }
}
