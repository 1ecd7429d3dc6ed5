import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSandboxCrash } from './helpers/sandbox-crash';

// A real `npm start` process, killed with SIGKILL twice while the sandbox still owes status
// callbacks, then restarted on the same SQLite file. The large run is `scripts/sandbox-crash.ts`.
test('sandbox status callbacks survive kill -9: every message reaches its final status once, never backwards', async () => {
  const report = await runSandboxCrash({ messages: 40, kills: 2, latencyMs: 150 });
  assert.ok(
    report.inFlightAtKill.every((n) => n > 0),
    `each kill came while callbacks were pending: ${JSON.stringify(report)}`,
  );
  assert.deepEqual(
    { stuck: report.stuck, stuckAt: report.stuckAt, duplicateChanges: report.duplicateChanges, backwards: report.backwards },
    { stuck: 0, stuckAt: {}, duplicateChanges: 0, backwards: 0 },
    JSON.stringify(report),
  );
});
