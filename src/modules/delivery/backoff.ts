/** How long to wait between delivery attempts. */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay; it doubles per failed attempt. */
  baseMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
}

/**
 * The largest delay before the next attempt after `failedAttempts` failures (1 = the first send
 * failed): `min(maxMs, baseMs * 2^(failedAttempts - 1))`. Never negative, never NaN.
 */
export function backoffCeiling(failedAttempts: number, policy: BackoffPolicy): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  const exponential = policy.baseMs * 2 ** (n - 1);
  return Math.max(0, Math.min(policy.maxMs, Number.isFinite(exponential) ? exponential : policy.maxMs));
}

/**
 * "Full jitter" backoff: a uniformly random delay in [0, ceiling). Spreading retries over the
 * whole interval keeps many messages failing together (a provider outage) from retrying in
 * lock-step and hammering the provider the moment it recovers.
 *
 * @param random a source in [0, 1); injectable so tests need no randomness.
 */
export function backoffDelay(failedAttempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeiling(failedAttempts, policy));
}

/** The delay before the next attempt: the jittered backoff, but never sooner than the provider asked (Retry-After). */
export function retryDelay(
  failedAttempts: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  return Math.max(backoffDelay(failedAttempts, policy, random), retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : 0);
}
