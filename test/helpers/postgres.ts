import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { serviceUnavailable } from './reachable';

/** The local PostgreSQL the tests use (trust auth); override with TEST_POSTGRES_URL. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL tests cannot run here, or null when the server answers. */
export async function postgresUnavailable(): Promise<string | null> {
  return serviceUnavailable('PostgreSQL', POSTGRES_URL, 5432, 'TEST_POSTGRES_URL');
}

/** Creates a fresh, uniquely named database for one test server and returns its URL and a dropper. */
export async function createTestDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sb_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: POSTGRES_URL,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: true,
  });
  await admin.em.getConnection().execute(`create database "${name}"`);
  await admin.close(true);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const again = await MikroORM.init({
        driver: PostgreSqlDriver,
        clientUrl: POSTGRES_URL,
        entities: [],
        discovery: { warnWhenNoEntities: false },
        allowGlobalContext: true,
      });
      await again.em.getConnection().execute(`drop database if exists "${name}" with (force)`);
      await again.close(true);
    },
  };
}
