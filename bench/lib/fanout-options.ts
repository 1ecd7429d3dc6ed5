/** The fan-out section's settings (BENCH_FANOUT_*), read once when the section starts. */
export interface FanoutOptions {
  /** Subscribed clients per run, e.g. [1000, 5000]. */
  sizes: number[];
  /** Processes the clients are spread over (each holds sizes/N sockets). */
  clientProcesses: number;
  /** Seconds the latency phase and the burst phase each aim for; their event counts follow from the warm-up. */
  phaseS: number;
  /** Webhook POSTs in flight at once during the burst (a provider's parallel deliveries). */
  senders: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

/** Reads BENCH_FANOUT_*; throws naming the variable on a bad value. */
export function fanoutOptions(env: NodeJS.ProcessEnv = process.env): FanoutOptions {
  const rawSizes = (env.BENCH_FANOUT_SIZES ?? '').split(/[\s,]+/).filter(Boolean);
  const sizes = rawSizes.length ? rawSizes.map(Number) : [1000, 5000];
  if (sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`BENCH_FANOUT_SIZES must be positive integers, got "${env.BENCH_FANOUT_SIZES}"`);
  return {
    sizes,
    clientProcesses: int(env, 'BENCH_FANOUT_CLIENT_PROCS', 2, 1),
    phaseS: int(env, 'BENCH_FANOUT_PHASE_S', 8, 1),
    senders: int(env, 'BENCH_FANOUT_SENDERS', 4, 1),
  };
}
