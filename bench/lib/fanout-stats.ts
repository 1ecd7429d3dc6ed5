import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import type { ServerStats, StatsArgs } from './fanout-protocol';

/**
 * Event-loop delay of the calling process, sampled every 10 ms. Its maximum is the longest stretch
 * the process could not react to anything — no socket read, no timer, no IPC — within a window.
 */
export function monitorLoop(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return h;
}

/**
 * CPU, memory, loop delay and live subscriptions of the calling (server) process. With `gc` and node
 * started with --expose-gc, collects garbage first (twice, a tick apart, so finalizers' garbage goes
 * too), which makes heap figures comparable between readings. `resetLoop` starts a new loop-delay
 * window after reading. `sqlStatements`: the process's SQL so far (null without a database).
 */
export async function readServerStats(
  state: { subscribers: number; sqlStatements: number | null; loop: IntervalHistogram },
  args: StatsArgs | null,
): Promise<ServerStats> {
  const collect = (globalThis as { gc?: () => void }).gc;
  const collected = Boolean(args?.gc) && typeof collect === 'function';
  if (collected) {
    collect!();
    await tick();
    collect!();
  }
  const loop = state.loop;
  const loopDelay = { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 };
  if (args?.resetLoop) loop.reset();
  return {
    cpu: process.cpuUsage(),
    memory: process.memoryUsage(),
    subscribers: state.subscribers,
    gc: collected,
    sqlStatements: state.sqlStatements,
    loopDelay,
  };
}
