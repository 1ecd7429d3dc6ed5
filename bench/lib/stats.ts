import type { LatencySummary } from './load';

/** Percentiles (nearest rank) and mean of a sample of durations in milliseconds. */
export function summarise(samples: number[]): LatencySummary {
  if (!samples.length) return { p50: NaN, p90: NaN, p99: NaN, mean: NaN, max: NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(50), p90: at(90), p99: at(99), mean: sum / sorted.length, max: sorted[sorted.length - 1] };
}
