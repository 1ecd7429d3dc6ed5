import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { summarise } from './stats';

/** One closed-loop HTTP load run (autocannon). */
export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  /** POST bodies; each connection sends them in turn, round and round. */
  bodies: string[];
  connections: number;
  durationS: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  /** Completed requests per second over the whole run. */
  rps: number;
  /** Milliseconds, from every 2xx response (not autocannon's whole-millisecond histogram). */
  latencyMs: LatencySummary;
  /** Transport errors, timeouts, non-2xx responses and 2xx bodies carrying GraphQL `errors`. */
  failures: { errors: number; timeouts: number; non2xx: number; graphqlErrors: number };
  /** Every 2xx latency, so runs can be merged (see mergeLoadResults). */
  samplesMs: number[];
}

/** One result from several runs of the same load (e.g. the halves of an interleaved A/B). */
export function mergeLoadResults(parts: LoadResult[]): LoadResult {
  const samplesMs = parts.flatMap((p) => p.samplesMs);
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  const durationS = parts.reduce((n, p) => n + p.durationS, 0);
  const failures = { errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0 };
  for (const p of parts) for (const k of Object.keys(failures) as (keyof typeof failures)[]) failures[k] += p.failures[k];
  return { requests, durationS, rps: requests / durationS, latencyMs: summarise(samplesMs), failures, samplesMs };
}

/** Parent → worker. */
export interface LoadRequest {
  id: number;
  spec: LoadSpec;
}

/** Worker → parent. */
export type LoadReply = { id: number; result: LoadResult } | { id: number; error: string };

/**
 * Runs autocannon in a child process, so the load generator has its own event loop (and, on a
 * 2-core machine, its own core) instead of competing with the server it measures.
 */
export class LoadGenerator {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: LoadReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(`load generator: ${reply.error}`));
      else waiter.resolve(reply.result);
    });
    child.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`load generator exited with code ${code}`));
      this.pending.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const child = fork(path.join(__dirname, 'load-worker.ts'), [], {
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: unknown) => (m === 'ready' ? resolve() : reject(new Error(`unexpected message ${String(m)}`))));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`load generator exited with code ${code} before it was ready`)));
    });
    return new LoadGenerator(child);
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, spec } satisfies LoadRequest);
    });
  }

  /** A warm-up run (discarded) followed by the measured one. */
  async measure(spec: LoadSpec, warmupS: number): Promise<LoadResult> {
    if (warmupS > 0) await this.run({ ...spec, durationS: warmupS });
    return this.run(spec);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
