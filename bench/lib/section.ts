import type { ServerOptions, RunningServer } from '../../src/server';
import path from 'node:path';
import pino from 'pino';
import { createLogger, type Logger } from '../../src/observability/logger';
import { createServer } from '../../src/server';
import type { BenchDatabase } from './database';
import type { LoadGenerator } from './load';
import type { BenchOptions } from './options';
import type { BenchWorkspace } from './seed';

/** What every section gets: the seeded database, the viewer's token and the shared load generator. */
export interface BenchContext {
  options: BenchOptions;
  database: BenchDatabase;
  workspace: BenchWorkspace;
  load: LoadGenerator;
  /** Progress for humans; goes to stderr so stdout stays tables + the JSON line. */
  progress(message: string): void;
}

export interface SectionResult {
  /** Printed as-is (tables, notes). */
  lines: string[];
  /** Goes under `sections[name]` in the JSON line. */
  json: unknown;
}

/** One independently runnable part of `npm run bench` (queries now, subscription fan-out later). */
export interface BenchSection {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SectionResult>;
}

/**
 * The real server factory on port 0 against the benchmark database (config has exposeSqlStats on).
 * Close it when done; the database stays open for the next section.
 */
export function startBenchServer(ctx: BenchContext, options: Omit<ServerOptions, 'db'> = {}): Promise<RunningServer> {
  return createServer(ctx.database.config, { logger: benchLogger(ctx), ...options, db: ctx.database.db });
}

/**
 * The servers log as in production: JSON lines at `info`, written asynchronously, to a file in
 * the benchmark's folder (a log shipper's pipe in production) instead of pretty-printed on the
 * main thread into the report.
 */
function benchLogger(ctx: BenchContext): Logger {
  const file = path.join(ctx.database.config.dataDir, 'server.log');
  return createLogger({ logLevel: 'info', nodeEnv: 'production' }, pino.destination({ dest: file, sync: false, mkdir: true }));
}
