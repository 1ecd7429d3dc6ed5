/**
 * `npm run soak`: WhatsApp Cloud sends through a real server process against a fake Meta with the
 * audit's fault mix (30 % 5xx without accepting, 5 % accepted then answered after the adapter's
 * timeout, 3 `kill -9`s during delivery), on SQLite and on PostgreSQL (when it is up). Prints the
 * duplicate, lost, wrong-final-status and parked-for-good counts per dialect and `SOAK_JSON {...}`.
 *
 * Settings (environment): SOAK_SENDS (1000), SOAK_KILLS (3), SOAK_DIALECTS (sqlite,postgres),
 * SOAK_SETTLE_MS (30000, the server's DELIVERY_UNCERTAIN_SETTLE_MS: long enough for the fake's reports to arrive, so a duplicate means Meta never reported a copy), SOAK_SILENT_RATE (0.01: share
 * of accepted messages Meta never reports), SOAK_SEED.
 */
import { postgresUnavailable } from '../test/helpers/postgres';
import { runWhatsAppSoak, type SoakResult } from '../test/helpers/whatsapp-soak';

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

async function main(): Promise<void> {
  const dialects = (process.env.SOAK_DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim()) as ('sqlite' | 'postgres')[];
  const results: SoakResult[] = [];
  for (const dialect of dialects) {
    if (dialect === 'postgres') {
      const why = await postgresUnavailable();
      if (why) {
        console.log(`postgres: skipped (${why})`);
        continue;
      }
    }
    console.log(`\n== ${dialect}`);
    const r = await runWhatsAppSoak({
      dialect,
      sends: num('SOAK_SENDS', 1000),
      kills: num('SOAK_KILLS', 3),
      faults: { serverErrorRate: 0.3, lateAcceptRate: 0.05, lateAnswerMs: 800, silentRate: num('SOAK_SILENT_RATE', 0.01) },
      customers: 20,
      leaseMs: 1000,
      settleMs: num('SOAK_SETTLE_MS', 30_000),
      seed: num('SOAK_SEED', 7),
      log: (line) => console.log(`  ${line}`),
    });
    results.push(r);
    console.log(
      `${dialect}: ${r.sends} sends, ${r.kills} kills, ${r.requests} requests to Meta (${r.serverErrors} 5xx, ${r.lateAnswers} late answers, ${r.silentCopies} never reported) in ${r.seconds} s\n` +
        `  duplicates: ${r.duplicates} (after a report: ${r.duplicatesAfterReport}; of unreported copies: ${r.duplicatesUnreported})\n` +
        `  lost: ${r.lost}   wrong final status: ${r.wrongFinalStatus} (FAILED although accepted: ${r.failedButAccepted})   parked for good: ${r.parkedForGood}\n` +
        `  FAILED never accepted (every attempt refused): ${r.failedNeverAccepted}   FAILED, every copy unanswered and unreported: ${r.failedUnknowable}   extra messages: ${r.extraMessages}`,
    );
    if (r.problemSamples.length) console.log(`  samples: ${JSON.stringify(r.problemSamples)}`);
    console.log(`SOAK_JSON ${JSON.stringify(r)}`);
  }
  const bad = results.some(
    (r) => r.duplicatesAfterReport || r.lost || r.failedButAccepted || r.wrongFinalStatus || r.parkedForGood || r.extraMessages,
  );
  process.exit(bad ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
