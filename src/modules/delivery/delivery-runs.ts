/**
 * Delivery runs: how an explicit retry gets a fresh attempt budget without the attempt counter
 * ever going backwards.
 *
 * An outbox entry's `attempts` counts claims over its whole life and is also the claim's fencing
 * token (the queue claims by compare-and-set on it, and an outcome is recorded only while it still
 * equals the claim's number). Resetting it on a retry would let a worker whose lease ran out during
 * the previous run record its stale outcome into the new one, so it only ever grows. A retry starts
 * a new *run* instead, and runs are aligned on multiples of `maxAttempts` (M): run k is attempts
 * (k-1)·M + 1 … k·M. The retry moves `attempts` up to the next multiple of M
 * ({@link attemptsBeforeNextRun}); the worker judges an attempt by its place in its run
 * ({@link attemptInRun}), so every run — the first, and each retry — gets the same M tries and
 * starts its backoff afresh. No column records the run: it follows from the counter.
 *
 * Limits, accepted: an attempt claimed after a crash during a run's last attempt (the lease ran
 * out) counts as the first of the next run, so that message gets another M tries; and changing
 * DELIVERY_MAX_ATTEMPTS moves the boundaries of runs already under way (a retried run may then get
 * fewer tries than M, never more than M).
 */

/** Which attempt of its run `attempt` (1-based, as claimed) is: 1 … maxAttempts. */
export function attemptInRun(attempt: number, maxAttempts: number): number {
  const m = Math.max(1, Math.floor(maxAttempts));
  return ((Math.max(1, Math.floor(attempt)) - 1) % m) + 1;
}

/**
 * The `attempts` value an outbox entry is given when a retry starts a new run: the end of the run
 * that `attempts` is in, so the next claim is attempt 1 of the next run. Never less than `attempts`.
 */
export function attemptsBeforeNextRun(attempts: number, maxAttempts: number): number {
  const m = Math.max(1, Math.floor(maxAttempts));
  return Math.ceil(Math.max(0, attempts) / m) * m;
}
