import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptInRun, attemptsBeforeNextRun } from '../../src/modules/delivery/delivery-runs';

test('attempts are judged by their place in their run of maxAttempts', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((a) => attemptInRun(a, 3)),
    [1, 2, 3, 1, 2, 3, 1],
  );
  assert.equal(attemptInRun(1, 1), 1);
  assert.equal(attemptInRun(9, 1), 1);
});

test('a retry moves attempts to the end of its run, never backwards, so the next claim starts a run', () => {
  // First run ended at attempt 1 (permanent failure), 2, or used its whole budget (3).
  assert.deepEqual(
    [0, 1, 2, 3, 4, 6].map((a) => attemptsBeforeNextRun(a, 3)),
    [0, 3, 3, 3, 6, 6],
  );
  for (let attempts = 0; attempts <= 20; attempts++) {
    const base = attemptsBeforeNextRun(attempts, 5);
    assert.ok(base >= attempts, 'the fencing counter never goes back');
    assert.equal(attemptInRun(base + 1, 5), 1, 'the next claim is the first of a full run');
  }
});
