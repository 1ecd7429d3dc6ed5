import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { initDatabase, type Database } from '../../src/db/orm';
import { pgClient, type PgClient } from './drivers';

/** A freshly created, migrated and still empty database, plus the config a server needs to use it. */
export interface BenchDatabase {
  config: Config;
  db: Database;
  /** SQLite file path, or null for PostgreSQL. */
  sqliteFile: string | null;
  /** Closes the ORM and deletes the temp file / drops the database (unless `keep`). */
  dispose(keep: boolean): Promise<void>;
}

/**
 * SQLite: a new file in a temp directory. PostgreSQL: a new, uniquely named database on the server
 * `databaseUrl` points at (that URL's own database is only used to create and drop it).
 */
export async function createBenchDatabase(databaseUrl: string | null): Promise<BenchDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  let url: string;
  let dropPg: (() => Promise<void>) | null = null;
  if (databaseUrl) {
    const name = `sb_bench_${process.pid}_${Date.now().toString(36)}`;
    await withPgAdmin(databaseUrl, (c) => c.query(`create database "${name}"`));
    const u = new URL(databaseUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    dropPg = () => withPgAdmin(databaseUrl, (c) => c.query(`drop database if exists "${name}" with (force)`));
  } else {
    url = `file:${path.join(dir, 'bench.db')}`;
  }
  const config = loadConfig(
    {},
    {
      host: '127.0.0.1',
      port: 0,
      databaseUrl: url,
      dataDir: dir,
      cacheDir: path.resolve(__dirname, '../../.cache'),
      seedDemo: false,
      logSql: false,
      exposeSqlStats: true,
    },
  );
  const db = await initDatabase(config);
  return {
    config,
    db,
    sqliteFile: dropPg ? null : url.replace(/^file:/, ''),
    dispose: async (keep) => {
      await db.orm.close(true);
      if (keep) {
        console.log(`Kept the benchmark database: ${dropPg ? url : url.replace(/^file:/, '')}`);
        return;
      }
      if (dropPg) await dropPg();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function withPgAdmin(url: string, fn: (client: PgClient) => Promise<unknown>): Promise<void> {
  const client = pgClient(url);
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
