import { setTimeout as sleep } from 'node:timers/promises';
import type { Configuration, IsolationLevel, LogContext, Transaction, TransactionEventBroadcaster } from '@mikro-orm/core';
import { AbstractSqlDriver, LibSqlKnexDialect, Utils, type Knex } from '@mikro-orm/knex';
import { LibSqlConnection, LibSqlPlatform } from '@mikro-orm/libsql';
import { statementKind } from './sql-statement-kind';
import { WriteQueue } from './write-queue';

/*
 * The embedded SQLite database (libSQL), made safe for a server that shares its file with other
 * processes (`npm run token`, a second instance):
 *
 * - every connection the pool opens gets the pragmas, not only the first one: the libsql dialect
 *   replaces a connection once it is 10 s old, and SQLite forgets `busy_timeout` and `foreign_keys`
 *   with the connection;
 * - write transactions are queued in the process (one writer at a time) and start with
 *   `BEGIN IMMEDIATE`, so the write lock is taken up front — a deferred transaction that reads
 *   first can find the lock gone to another process by the time it writes, and fail at once;
 * - the wait for another process's lock is asynchronous: libSQL's statements are synchronous, so a
 *   `busy_timeout` wait inside `BEGIN` would stop the whole event loop (every request, /healthz).
 * - reads run on other pooled connections and never wait for the writer (WAL).
 */

/** How long a write waits for another process to release the database's write lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** Connections per pool: one writer at a time, the rest serve reads alongside it. */
export const SQLITE_POOL_SIZE = 4;

/** How long a write waits for its turn in the process before failing (as knex's pool does). */
export const SQLITE_WRITE_QUEUE_TIMEOUT_MS = 60_000;

/**
 * Set on every connection when it is opened. WAL lets readers proceed while a writer commits;
 * synchronous=NORMAL is durable against process crashes in WAL mode and syncs only at
 * checkpoints; foreign keys are off unless asked for, per connection.
 */
export const SQLITE_PRAGMAS: readonly string[] = [
  `pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
  'pragma journal_mode = wal',
  'pragma foreign_keys = on',
  'pragma synchronous = normal',
];

/** The bits of a libsql `Database` this module uses. */
interface RawSqlite {
  exec(sql: string): void;
  close(): void;
}

const isBusy = (err: unknown): boolean =>
  typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('SQLITE_BUSY');

/**
 * `BEGIN IMMEDIATE`, waiting up to `timeoutMs` for another process's write lock without blocking
 * the event loop: the connection's own busy handler is switched off for the attempts (it would
 * sleep synchronously) and the retries back off from 1 to 50 ms.
 */
export async function beginImmediate(conn: RawSqlite, timeoutMs = SQLITE_BUSY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  conn.exec('pragma busy_timeout = 0');
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        conn.exec('begin immediate');
        return;
      } catch (err) {
        if (!isBusy(err) || Date.now() + delay > deadline) throw err;
      }
      await sleep(delay);
    }
  } finally {
    conn.exec(`pragma busy_timeout = ${timeoutMs}`);
  }
}

// knex does not export its SQLite transaction class; MikroORM reaches into knex/lib the same way.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KnexSqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction') as new (...args: unknown[]) => {
  readOnly?: boolean;
  begin(conn: RawSqlite): Promise<unknown>;
};

/** A knex transaction that takes the write lock at BEGIN (read-only ones stay deferred). */
class ImmediateTransaction extends KnexSqliteTransaction {
  override async begin(conn: RawSqlite): Promise<void> {
    if (this.readOnly) conn.exec('begin deferred');
    else await beginImmediate(conn);
  }
}

/** The libsql knex dialect with the pragmas on every new connection and IMMEDIATE transactions. */
class SqliteKnexDialect extends LibSqlKnexDialect {
  override async acquireRawConnection(): Promise<RawSqlite> {
    const conn = (await super.acquireRawConnection()) as RawSqlite;
    try {
      for (const pragma of SQLITE_PRAGMAS) conn.exec(pragma);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  transaction(...args: unknown[]): unknown {
    return new ImmediateTransaction(this, ...args);
  }
}

type TransactionOptions = {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  ctx?: Knex.Transaction;
  eventBroadcaster?: TransactionEventBroadcaster;
  loggerContext?: LogContext;
};

/**
 * The libSQL connection with one in-process write queue: every top-level write transaction (and
 * every write statement sent outside a transaction, which runs in one) waits for its turn, so no
 * code path can forget it. Savepoints (`ctx` given) and read-only transactions run at once.
 */
export class SqliteConnection extends LibSqlConnection {
  private readonly writes = new WriteQueue(SQLITE_WRITE_QUEUE_TIMEOUT_MS);
  private readonly turns = new WeakMap<Knex.Transaction, () => void>();

  override createKnex(): void {
    this.client = this.createKnexClient(SqliteKnexDialect as unknown as string);
    this.connected = true;
  }

  protected override getKnexOptions(type: string): Knex.Config {
    const options = super.getKnexOptions(type);
    const memory = this.config.get('dbName') === ':memory:';
    // Each connection to :memory: is a database of its own: there it must stay one.
    const pool = Utils.mergeConfig({ min: 1, max: SQLITE_POOL_SIZE }, options.pool ?? {});
    return { ...options, pool: memory ? { ...pool, min: 1, max: 1 } : pool };
  }

  override async begin(options: TransactionOptions = {}): Promise<Knex.Transaction> {
    if (options.ctx || options.readOnly) return super.begin(options);
    const release = await this.writes.acquire();
    try {
      const trx = await super.begin(options);
      this.turns.set(trx, release);
      return trx;
    } catch (err) {
      release();
      throw err;
    }
  }

  override async commit(ctx: Knex.Transaction, eventBroadcaster?: TransactionEventBroadcaster, loggerContext?: LogContext): Promise<void> {
    try {
      await super.commit(ctx, eventBroadcaster, loggerContext);
    } finally {
      this.endTurn(ctx);
    }
  }

  override async rollback(
    ctx: Knex.Transaction,
    eventBroadcaster?: TransactionEventBroadcaster,
    loggerContext?: LogContext,
  ): Promise<void> {
    try {
      await super.rollback(ctx, eventBroadcaster, loggerContext);
    } finally {
      this.endTurn(ctx);
    }
  }

  override async execute<T extends Awaited<ReturnType<LibSqlConnection['execute']>>>(
    queryOrKnex: string | Knex.QueryBuilder | Knex.Raw,
    params: unknown[] = [],
    method: 'all' | 'get' | 'run' = 'all',
    ctx?: Transaction,
    loggerContext?: Parameters<LibSqlConnection['execute']>[4],
  ): Promise<T> {
    let sql: string;
    if (typeof queryOrKnex === 'string') {
      sql = queryOrKnex;
    } else {
      ctx ??= (queryOrKnex as unknown as { client: { transacting?: boolean } }).client.transacting
        ? (queryOrKnex as Transaction)
        : undefined;
      const q = queryOrKnex.toSQL();
      sql = q.sql;
      params = [...(q.bindings ?? [])];
    }
    if (ctx || statementKind(sql) !== 'write') return super.execute<T>(sql, params, method, ctx, loggerContext);
    // An autocommit write would take the lock in SQLite's synchronous busy handler; run it as a
    // queued transaction instead.
    return this.transactional((trx) => super.execute<T>(sql, params, method, trx, loggerContext));
  }

  private endTurn(ctx: Knex.Transaction): void {
    const release = this.turns.get(ctx);
    if (!release) return;
    this.turns.delete(ctx);
    release();
  }
}

/** MikroORM's libSQL driver on {@link SqliteConnection}. Use it as `driver` in the ORM options. */
export class SqliteDriver extends AbstractSqlDriver<SqliteConnection, LibSqlPlatform> {
  constructor(config: Configuration) {
    super(config, new LibSqlPlatform(), SqliteConnection, ['knex', 'libsql']);
  }
}
