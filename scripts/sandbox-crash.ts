/**
 * `node -r @swc-node/register scripts/sandbox-crash.ts [messages] [kills] [latencyMs] [sqlite|postgres]`
 * — sends sandbox messages through a real `npm start` process, `kill -9`s it while status
 * callbacks are pending, restarts it on the same database, and prints how many messages never
 * reached their final status (the CI-sized run is test/sandbox-crash.test.ts).
 */
import { runSandboxCrash } from '../test/helpers/sandbox-crash';

async function main(): Promise<void> {
  const [messages = '200', kills = '2', latencyMs = '150', dialect = 'sqlite'] = process.argv.slice(2);
  const report = await runSandboxCrash({
    messages: Number(messages),
    kills: Number(kills),
    latencyMs: Number(latencyMs),
    dialect: dialect === 'postgres' ? 'postgres' : 'sqlite',
    settleTimeoutMs: 30_000,
  });
  console.log(JSON.stringify({ dialect, ...report }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
