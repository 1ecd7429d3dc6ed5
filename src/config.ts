import path from 'node:path';

/** Everything the process can be told from outside, parsed once at start-up and passed down. */
export interface Config {
  host: string;
  port: number;
  /** `file:…` / a path for SQLite (the embedded default), or `postgres://…` for PostgreSQL. */
  databaseUrl: string;
  /** Where uploaded media, the playground bundle and the default SQLite file live. */
  dataDir: string;
  cacheDir: string;
  /** Seed the demo workspace on start when the database has no tenant yet. */
  seedDemo: boolean;
  /** Log every SQL statement to stderr. */
  logSql: boolean;
  /** Report `extensions.sqlStatements` on responses (tests and the benchmark count queries with it). */
  exposeSqlStats: boolean;
  /** Print request logs. */
  logRequests: boolean;
  limits: Limits;
}

/** Protective limits on what one request may ask of the server. */
export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  maxBodyBytes: number;
  maxPageSize: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 50_000,
  maxBodyBytes: 1024 * 1024,
  maxPageSize: 100,
};

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be a boolean (true/false), got "${raw}"`);
}

/** Reads the environment into a Config; throws with the variable's name on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = path.resolve(env.DATA_DIR ?? 'data');
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 4000),
    databaseUrl: env.DATABASE_URL ?? `file:${path.join(dataDir, 'switchboard.db')}`,
    dataDir,
    cacheDir: path.resolve(env.CACHE_DIR ?? '.cache'),
    seedDemo: bool(env, 'SEED_DEMO', true),
    logSql: bool(env, 'LOG_SQL', false),
    exposeSqlStats: bool(env, 'EXPOSE_SQL_STATS', false),
    logRequests: bool(env, 'LOG_REQUESTS', false),
    limits: {
      maxDepth: int(env, 'MAX_QUERY_DEPTH', DEFAULT_LIMITS.maxDepth),
      maxAliases: int(env, 'MAX_QUERY_ALIASES', DEFAULT_LIMITS.maxAliases),
      maxCost: int(env, 'MAX_QUERY_COST', DEFAULT_LIMITS.maxCost),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
      maxPageSize: DEFAULT_LIMITS.maxPageSize,
    },
    ...overrides,
  };
}

/** True when the configured database is PostgreSQL rather than the embedded SQLite. */
export function isPostgres(config: Pick<Config, 'databaseUrl'>): boolean {
  return /^postgres(ql)?:\/\//.test(config.databaseUrl);
}
