import { performance } from 'node:perf_hooks';
import { execute, parse } from 'graphql';
import { queryStatsStorage, type QueryStats } from '../../src/db/query-stats';
import { createContext } from '../../src/graphql/context';
import type { RunningServer } from '../../src/server';
import type { BenchDatabase } from './database';
import { LibSql, pgClient } from './drivers';
import type { LatencySummary } from './load';
import { summarise } from './stats';

/**
 * The SQL one GraphQL request issues, in order, with parameters inlined (as the ORM logger reports
 * them): the operation executed in-process with a context built exactly as the HTTP path builds it
 * (token lookup included), inside a statement-capturing QueryStats store.
 */
export async function captureStatements(
  server: RunningServer,
  authorization: string | null,
  query: string,
  variables: Record<string, unknown> | undefined,
): Promise<string[]> {
  const stats: QueryStats = { count: 0, statements: [] };
  const document = parse(query);
  await queryStatsStorage.run(stats, async () => {
    const contextValue = await createContext(server.deps, authorization);
    const result = await execute({ schema: server.schema, document, variableValues: variables, contextValue });
    if (result.errors?.length) throw new Error(`capturing SQL: ${result.errors.map((e) => e.message).join('; ')}`);
  });
  return stats.statements!;
}

/** Runs a request's statements one after another straight through the driver the ORM uses. */
export interface SqlReplayer {
  runSet(statements: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function openReplayer(database: BenchDatabase): Promise<SqlReplayer> {
  if (database.sqliteFile) {
    const conn = new LibSql(database.sqliteFile);
    return {
      // Prepared per call, as the ORM's knex dialect does; libsql executes synchronously.
      runSet: async (statements) => {
        for (const sql of statements) {
          const statement = conn.prepare(sql);
          if (statement.reader) statement.all();
          else statement.run();
        }
      },
      close: async () => void conn.close(),
    };
  }
  const client = pgClient(database.config.databaseUrl);
  await client.connect();
  return {
    runSet: async (statements) => {
      for (const sql of statements) await client.query(sql);
    },
    close: () => client.end(),
  };
}

export interface ReplayResult {
  /** Statement sets ("requests") completed per second, one at a time. */
  setsPerS: number;
  sets: number;
  latencyMs: LatencySummary;
}

/** Replays the sets round-robin, one at a time, for `durationS` (after a short unmeasured warm-up). */
export async function measureReplay(replayer: SqlReplayer, sets: string[][], durationS: number): Promise<ReplayResult> {
  const loop = async (seconds: number, record: number[] | null) => {
    const end = performance.now() + seconds * 1000;
    let i = 0;
    let now = performance.now();
    while (now < end) {
      const start = now;
      await replayer.runSet(sets[i++ % sets.length]);
      now = performance.now();
      record?.push(now - start);
      // Synchronous drivers would otherwise starve timers and I/O for the whole run.
      if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await loop(Math.min(1, durationS / 4), null);
  const latencies: number[] = [];
  const started = performance.now();
  await loop(durationS, latencies);
  const elapsed = (performance.now() - started) / 1000;
  return { setsPerS: latencies.length / elapsed, sets: latencies.length, latencyMs: summarise(latencies) };
}
