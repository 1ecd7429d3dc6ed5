import fs from 'node:fs';
import path from 'node:path';
import { MikroORM, type EntityManager, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { withAdvisoryLock } from '../cluster/advisory-lock';
import { isPostgres, type Config } from '../config';
import { ENTITIES } from './entities';
import { postgresMigrations } from './migrations/postgresql';
import { sqliteMigrations } from './migrations/sqlite';
import { CountingLogger } from './query-stats';
import { SqliteDriver } from './sqlite-driver';

/** The advisory lock migrations (and the demo seed, src/main.ts) run under. */
export const MIGRATION_LOCK = 'switchboard:migrations';

/** The database handles the application holds for its lifetime. Requests fork `em`. */
export interface Database {
  orm: MikroORM;
  em: EntityManager;
  dialect: 'sqlite' | 'postgresql';
}

/**
 * ORM options for a config: SQLite (libSQL, through {@link SqliteDriver}: pragmas on every
 * connection, one writer at a time) by default, PostgreSQL for `postgres://` URLs.
 */
export function ormOptions(config: Pick<Config, 'databaseUrl' | 'logSql'>, extra: Partial<Options> = {}): Options {
  const pg = isPostgres(config);
  const common: Partial<Options> = {
    entities: ENTITIES,
    extensions: [Migrator],
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    // Requests always work on a fork; touching the global context is a bug we want to hear about.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    loggerFactory: (options) => new CountingLogger(options, config.logSql),
    debug: ['query'],
    migrations: {
      migrationsList: pg ? postgresMigrations : sqliteMigrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      tableName: 'mikro_orm_migrations',
      silent: true,
    },
  };
  if (pg) {
    return { ...common, driver: PostgreSqlDriver, clientUrl: config.databaseUrl, ...extra } as Options;
  }
  const file = config.databaseUrl.replace(/^file:/, '');
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return { ...common, driver: SqliteDriver, dbName: file, ...extra } as Options;
}

/** Connects and brings the schema up to date by running pending migrations. */
export async function initDatabase(config: Pick<Config, 'databaseUrl' | 'logSql'>, extra: Partial<Options> = {}): Promise<Database> {
  const orm = await MikroORM.init(ormOptions(config, extra));
  const db: Database = { orm, em: orm.em, dialect: isPostgres(config) ? 'postgresql' : 'sqlite' };
  // Instances starting together against one PostgreSQL database migrate one after another: the
  // first applies, the others find nothing pending.
  await withAdvisoryLock(db, MIGRATION_LOCK, () => orm.getMigrator().up());
  return db;
}
