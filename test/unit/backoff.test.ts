import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffCeiling, backoffDelay, retryDelay } from '../../src/modules/delivery/backoff';

const policy = { baseMs: 1000, maxMs: 30_000 };

test('the ceiling doubles per failed attempt from baseMs and stops at maxMs', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeiling(n, policy)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
});

test('the ceiling survives absurd attempt counts and nonsense input', () => {
  assert.equal(backoffCeiling(5000, policy), 30_000, '2^4999 is Infinity, not NaN');
  assert.equal(backoffCeiling(0, policy), 1000, 'attempt 0 is treated as the first failure');
  assert.equal(backoffCeiling(-3, policy), 1000);
  assert.equal(backoffCeiling(2, { baseMs: 0, maxMs: 10 }), 0);
});

test('full jitter spreads the delay over [0, ceiling)', () => {
  assert.equal(
    backoffDelay(3, policy, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0.5),
    2000,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0.999_999),
    3999,
  );
  assert.equal(
    backoffDelay(10, policy, () => 0.5),
    15_000,
  );
  // A broken random source cannot push the delay outside the interval.
  assert.equal(
    backoffDelay(1, policy, () => 7),
    1000,
  );
  assert.equal(
    backoffDelay(1, policy, () => -1),
    0,
  );
});

test('full jitter with the real random source stays within bounds', () => {
  for (let attempt = 1; attempt <= 8; attempt++) {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(attempt, policy);
      assert.ok(Number.isInteger(d) && d >= 0 && d < backoffCeiling(attempt, policy), `attempt ${attempt}: ${d}`);
    }
  }
});

test("a provider's Retry-After is a floor, never shortened by jitter", () => {
  assert.equal(
    retryDelay(1, policy, 5000, () => 0.1),
    5000,
  );
  assert.equal(
    retryDelay(4, policy, 5000, () => 0.9),
    7200,
    'backoff wins when it is longer',
  );
  assert.equal(
    retryDelay(1, policy, undefined, () => 0.5),
    500,
  );
  assert.equal(
    retryDelay(1, policy, 0, () => 0.5),
    500,
  );
});
