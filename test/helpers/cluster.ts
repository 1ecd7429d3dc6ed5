import { initDatabase, type Database } from '../../src/db/orm';
import { createServer, type RunningServer } from '../../src/server';
import type { Config } from '../../src/config';
import { GqlClient } from './client';
import { postgresUnavailable } from './postgres';
import type { TestServer } from './server';
import { serviceUnavailable } from './reachable';

/** The local Redis the cluster tests use; override with TEST_REDIS_URL. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why Redis tests cannot run here, or null when something listens at REDIS_URL. */
export async function redisUnavailable(): Promise<string | null> {
  return serviceUnavailable('Redis', REDIS_URL, 6379, 'TEST_REDIS_URL');
}

/** Why the two-instance tests cannot run (PostgreSQL or Redis missing), or null. */
export async function clusterUnavailable(): Promise<string | null> {
  return (await postgresUnavailable()) ?? (await redisUnavailable());
}

/** A second instance on the first one's database and Redis: its own pool, pub/sub connections, worker and leadership. */
export interface SecondInstance {
  server: RunningServer;
  db: Database;
  url: string;
  origin: string;
  client(token: string): GqlClient;
  close(): Promise<void>;
}

/**
 * Starts another server against `first`'s database (a pool of its own, as another process would
 * have), with `first`'s config and `overrides` on top. Close it before `first`.
 */
export async function startSecondInstance(first: TestServer, overrides: Partial<Config> = {}): Promise<SecondInstance> {
  const config: Config = { ...first.config, ...overrides };
  const db = await initDatabase(config);
  const server = await createServer(config, { db });
  return {
    server,
    db,
    url: server.url,
    origin: server.origin,
    client: (token) => new GqlClient(server.url, token),
    close: async () => {
      await server.close();
      await db.orm.close(true);
    },
  };
}
