import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initDatabase, type Database } from '../src/db/orm';
import { seedDemo } from '../src/seed/demo';
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

/**
 * Rewinds a migrated database to just before Migration20261206073000, gives one (inbox, contact)
 * a second conversation (as older versions could), and migrates again: the migration must stop,
 * name the pair, and leave the database as it was (no unique index, both rows there).
 */
async function duplicateThreadsStopTheMigration(db: Database): Promise<void> {
  const q = (sql: string) => db.orm.em.getConnection().execute(sql);
  const pg = db.dialect === 'postgresql';
  const demo = await seedDemo(db.em.fork());
  const anna = demo.conversations.find((c) => c.name === 'Anna Kowalska')!;
  await q(
    pg
      ? 'alter table "conversation" drop constraint "conversation_inbox_id_contact_id_unique"'
      : 'drop index `conversation_inbox_id_contact_id_unique`',
  );
  await q('create index conversation_inbox_id_contact_id_status_index on conversation (inbox_id, contact_id, status)');
  await q("delete from mikro_orm_migrations where name = 'Migration20261206073000'");
  await q(`create ${pg ? 'temp ' : ''}table dup_row as select * from conversation where id = '${anna.id}'`);
  await q("update dup_row set id = 'cnv_duplicate', status = 'closed'");
  await q('insert into conversation select * from dup_row');

  await assert.rejects(db.orm.getMigrator().up(), (err: Error) => {
    assert.match(err.message, /one per \(inbox, contact\)/);
    assert.match(err.message, new RegExp(`inbox ${demo.whatsapp.id} / contact ${anna.contactId} \\(2\\)`));
    return true;
  });
  const rows = await q(`select id from conversation where contact_id = '${anna.contactId}'`);
  assert.equal(rows.length, 2, 'nothing was merged or deleted');
  assert.deepEqual(
    (await db.orm.getMigrator().getPendingMigrations()).map((m) => m.name),
    ['Migration20261206073000'],
  );
}

test('SQLite: existing duplicate conversations per (inbox, contact) stop the unique-thread migration with their names', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-migrate-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = await initDatabase({ databaseUrl: `file:${path.join(dir, 'd.db')}`, logSql: false }, { allowGlobalContext: true });
  t.after(() => db.orm.close(true));
  await duplicateThreadsStopTheMigration(db);
});

test('PostgreSQL: existing duplicate conversations per (inbox, contact) stop the unique-thread migration with their names', async (t) => {
  const why = await postgresUnavailable();
  if (why) return t.skip(why);
  const pg = await createTestDatabaseUrl();
  t.after(() => pg.drop());
  const db = await initDatabase({ databaseUrl: pg.url, logSql: false }, { allowGlobalContext: true });
  t.after(() => db.orm.close(true));
  await duplicateThreadsStopTheMigration(db);
});
