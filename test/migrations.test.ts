import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initDatabase } from '../src/db/orm';
import { createTestDatabaseUrl, postgresUnavailable } from './helpers/postgres';

/**
 * The checked-in migrations describe exactly the entities: applying them to an empty PostgreSQL
 * database leaves nothing for the schema generator to add (a forgotten `migrations:create` fails here).
 * (SQLite's diff always proposes table rebuilds, so it is checked by the query suite instead.)
 */
test('PostgreSQL migrations match the entities', async (t) => {
  const why = await postgresUnavailable();
  if (why) return t.skip(why);
  const pg = await createTestDatabaseUrl();
  t.after(() => pg.drop());
  const db = await initDatabase({ databaseUrl: pg.url, logSql: false }, { allowGlobalContext: true });
  t.after(() => db.orm.close(true));
  const diff = await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
  assert.equal(diff.trim(), '', `entities and migrations differ:\n${diff}`);
});

test('SQLite migrations apply to an empty file and are recorded once', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-migrate-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const url = `file:${path.join(dir, 'm.db')}`;
  const first = await initDatabase({ databaseUrl: url, logSql: false });
  const applied = (await first.orm.getMigrator().getExecutedMigrations()).length;
  await first.orm.close(true);
  assert.ok(applied >= 1);
  const again = await initDatabase({ databaseUrl: url, logSql: false });
  t.after(() => again.orm.close(true));
  assert.equal((await again.orm.getMigrator().getExecutedMigrations()).length, applied, 'a restart applies nothing twice');
  assert.deepEqual(await again.orm.getMigrator().getPendingMigrations(), []);
});
