import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresUnavailable } from './helpers/postgres';
import { runWhatsAppSoak, type SoakOptions } from './helpers/whatsapp-soak';

/**
 * The audit's fault mix at CI size (`npm run soak` runs 1,000): a fake Meta that answers 5xx
 * without accepting, accepts and answers after the adapter's timeout, and never reports some
 * messages, while the server process is `kill -9`ed between Meta accepting a message and our commit.
 */
const CI_RUN: Omit<SoakOptions, 'dialect'> = {
  sends: 30,
  kills: 1,
  faults: { serverErrorRate: 0.3, lateAcceptRate: 0.1, lateAnswerMs: 800, silentRate: 0.05 },
  customers: 4,
  leaseMs: 1000,
  settleMs: 1500,
  seed: 11,
};

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`WhatsApp Cloud under 5xx, late answers and kill -9: nothing sent twice after a report, lost, wrongly FAILED or parked (${dialect})`, async (t) => {
    if (dialect === 'postgres') {
      const why = await postgresUnavailable();
      if (why) return t.skip(why);
    }
    const r = await runWhatsAppSoak({ ...CI_RUN, dialect, log: (line) => t.diagnostic(line) });
    t.diagnostic(`SOAK_JSON ${JSON.stringify(r)}`);
    // The faults really happened, or the counts below prove nothing.
    assert.equal(r.kills, 1, 'the server was killed in a send window');
    assert.ok(r.serverErrors > 0, 'Meta answered 5xx');
    assert.ok(r.lateAnswers > 0, 'Meta accepted and answered after the timeout');

    assert.equal(r.duplicatesAfterReport, 0, 'no message was sent again after Meta had reported a copy');
    assert.equal(r.lost, 0, 'every send reached Meta or ended FAILED');
    assert.equal(r.extraMessages, 0, 'a send retried across the crash wrote one message');
    assert.equal(r.failedButAccepted, 0, 'no message Meta accepted ended FAILED');
    assert.equal(r.wrongFinalStatus, 0, 'every message ended at the last status Meta reported');
    assert.equal(r.parkedForGood, 0, 'no status callback stayed parked');
  });
}
