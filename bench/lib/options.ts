import os from 'node:os';

/** Everything `npm run bench` can be told, read once from the environment in bench/run.ts. */
export interface BenchOptions {
  /** `postgres://…` to benchmark PostgreSQL (a fresh database is created on that server); otherwise SQLite in a temp file. */
  databaseUrl: string | null;
  /** Seconds each measured autocannon run lasts. */
  durationS: number;
  /** Seconds of unmeasured load before each measured run. */
  warmupS: number;
  /** Concurrent HTTP connections the load generator keeps open. */
  connections: number;
  /** Seconds each raw-driver replay loop runs. */
  rawDurationS: number;
  conversations: number;
  /** Average messages per conversation (the total is exactly conversations × this). */
  messagesPerConversation: number;
  /** Sections to run, by name; empty = all. */
  sections: string[];
  /** Seed for the data generator, so two runs seed the same shape of data. */
  seed: number;
  /** Keep the temp SQLite file / the PostgreSQL database after the run (for poking at it). */
  keepDatabase: boolean;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return n;
}

/** Reads BENCH_* variables; throws naming the variable on a bad value. */
export function benchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const durationS = num(env, 'BENCH_DURATION', 6, 1);
  return {
    databaseUrl: env.BENCH_DATABASE_URL || null,
    durationS,
    warmupS: num(env, 'BENCH_WARMUP', 2, 0),
    connections: Math.floor(num(env, 'BENCH_CONNECTIONS', 10, 1)),
    rawDurationS: num(env, 'BENCH_RAW_DURATION', Math.min(durationS, 3), 0.5),
    conversations: Math.floor(num(env, 'BENCH_CONVERSATIONS', 10_000, 60)),
    messagesPerConversation: Math.floor(num(env, 'BENCH_MESSAGES', 20, 4)),
    sections: (env.BENCH_SECTIONS ?? '').split(/[\s,]+/).filter(Boolean),
    seed: Math.floor(num(env, 'BENCH_SEED', 42, 0)),
    keepDatabase: /^(1|true|yes)$/i.test(env.BENCH_KEEP_DB ?? ''),
  };
}

/** What the numbers were measured on; printed first and kept in the JSON line. */
export interface BenchEnvironment {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  dialect: 'sqlite' | 'postgresql';
  connections: number;
  durationS: number;
  warmupS: number;
  conversations: number;
  messages: number;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAvg1m: number;
}

export function describeEnvironment(options: BenchOptions, dialect: 'sqlite' | 'postgresql', messages: number): BenchEnvironment {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    dialect,
    connections: options.connections,
    durationS: options.durationS,
    warmupS: options.warmupS,
    conversations: options.conversations,
    messages,
    loadAvg1m: Math.round(os.loadavg()[0] * 100) / 100,
  };
}
