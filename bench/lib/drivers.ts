/**
 * The raw database drivers the ORM itself sits on (both are installed as MikroORM dependencies):
 * `libsql` (better-sqlite3 API) for SQLite and `pg` for PostgreSQL. `pg` ships no types, so the little
 * of it the benchmark touches is declared here.
 */
import LibSql from 'libsql';

export { LibSql };

export interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rows: unknown[]; rowCount: number | null }>;
  end(): Promise<void>;
}

/** A `pg` client for `connectionString` (not yet connected). */
export function pgClient(connectionString: string): PgClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as { Client: new (options: { connectionString: string }) => PgClient };
  return new Client({ connectionString });
}
