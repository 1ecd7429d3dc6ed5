/**
 * Concurrent writers on the embedded SQLite database:
 *
 *   node -r @swc-node/register bench/sqlite-writes.ts
 *
 * Starts the real server on a fresh SQLite file with the demo workspace and the delivery worker
 * (so deliveries and the sandbox's status webhooks write too), then runs SENDERS concurrent
 * `sendMessage` loops over HTTP for SECONDS seconds — long enough for the pool to recycle its
 * connections (the libsql dialect replaces a connection once it is 10 s old). With CLI=1 it also
 * runs `npm run token -- list` / `token:create` back to back in other processes against the same
 * file, as the README suggests doing beside a running server.
 *
 * Prints the request latency (an upper bound of how long a send waited for its transaction), how
 * long transactions waited to start (all of them: sends, deliveries, webhooks), the error
 * count by message, and the CLI runs that failed. Settings: SENDERS (20), SECONDS (30), CLI (1).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { initDatabase } from '../src/db/orm';
import { issueToken } from '../src/modules/auth/token.service';
import { seedDemo } from '../src/seed/demo';
import { createServer } from '../src/server';
import { summarise } from './lib/stats';
import { openConversationSends } from './lib/send-targets';

const SENDERS = Number(process.env.SENDERS ?? 20);
const SECONDS = Number(process.env.SECONDS ?? 30);
const WITH_CLI = process.env.CLI !== '0';

const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { message { id deliveryStatus } } }`;

interface CliTally {
  runs: number;
  failed: number;
  reasons: Map<string, number>;
}

/** Runs the token CLI back to back until `stop()` resolves, alternating a read and a write command. */
async function cliLoop(env: NodeJS.ProcessEnv, userId: string, stopped: () => boolean, tally: CliTally): Promise<void> {
  const root = path.resolve(__dirname, '..');
  for (let i = 0; !stopped(); i++) {
    const args = i % 2 === 0 ? ['list'] : ['token:create', '--user', userId, '--name', `bench-${i}`];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/cli/token.ts', ...args], {
        cwd: root,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    tally.runs++;
    if (code !== 0) {
      tally.failed++;
      const reason = /database is locked|SQLITE_BUSY/i.test(stderr)
        ? 'database is locked'
        : stderr.split('\n').find(Boolean)?.slice(0, 120) || `exit ${code}`;
      tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
    }
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-sqlite-writes-'));
  const file = path.join(dir, 'bench.db');
  const config = loadConfig({}, { host: '127.0.0.1', port: 0, databaseUrl: `file:${file}`, dataDir: dir, seedDemo: false });
  const db = await initDatabase(config);
  const demo = await seedDemo(db.em.fork());
  const { token } = await issueToken(db.em.fork(), { tenantId: demo.tenant.id, userId: demo.owner.id, name: 'bench' });
  const server = await createServer(config, { db });
  // How long each top-level transaction (sends, deliveries, webhooks) waited to start: its turn
  // for a connection or the write queue, plus the file lock. Measured around the connection's
  // begin(), so this and older builds are measured alike.
  const txWaits: number[] = [];
  const conn = db.em.getConnection() as unknown as { begin(options?: { ctx?: unknown }): Promise<unknown> };
  const begin = conn.begin.bind(conn);
  conn.begin = async (options) => {
    const t0 = performance.now();
    try {
      return await begin(options);
    } finally {
      if (!options?.ctx) txWaits.push(performance.now() - t0);
    }
  };

  // Outbound sends the delivery worker hands to the sandbox (whose status callbacks come back as webhooks).
  const targets = openConversationSends(demo);

  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const count = (reason: string) => errors.set(reason, (errors.get(reason) ?? 0) + 1);
  const endAt = Date.now() + SECONDS * 1000;
  const stopped = () => Date.now() >= endAt;

  const sender = async (n: number) => {
    for (let i = 0; !stopped(); i++) {
      const target = targets[(n + i) % targets.length];
      const input = { recipient: { conversation: { conversationId: target.conversationId } }, content: target.content };
      const t0 = performance.now();
      try {
        const res = await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: SEND, variables: { input } }),
        });
        const body = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
        latencies.push(performance.now() - t0);
        if (body.errors?.length) count(`${body.errors[0].extensions?.code ?? 'ERROR'}: ${body.errors[0].message}`);
      } catch (err) {
        latencies.push(performance.now() - t0);
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        count(`transport: ${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
      }
    }
  };

  const cli: CliTally = { runs: 0, failed: 0, reasons: new Map() };
  const cliEnv = { ...process.env, DATABASE_URL: `file:${file}`, DATA_DIR: dir, SEED_DEMO: 'false' };
  // The server logs every masked error; keep the output to the summary.
  const log = console.error;
  const serverErrors = { count: 0, locked: 0 };
  console.error = (...args: unknown[]) => {
    serverErrors.count++;
    if (/database is locked|SQLITE_BUSY/.test(args.map(String).join(' '))) serverErrors.locked++;
  };
  const started = performance.now();
  try {
    await Promise.all([
      ...Array.from({ length: SENDERS }, (_, n) => sender(n)),
      WITH_CLI ? cliLoop(cliEnv, demo.owner.id, stopped, cli) : null,
    ]);
  } finally {
    console.error = log;
  }
  const seconds = (performance.now() - started) / 1000;

  const s = summarise(latencies);
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  console.log(`SQLite concurrent writes — ${SENDERS} senders for ${SECONDS} s${WITH_CLI ? ', token CLI looping beside the server' : ''}`);
  console.log(`sends: ${latencies.length} (${(latencies.length / seconds).toFixed(0)}/s), failed: ${failed}`);
  console.log(`request latency ms: p50 ${s.p50.toFixed(1)}  p99 ${s.p99.toFixed(1)}  max ${s.max.toFixed(1)}`);
  console.log(`requests over 2 s: ${latencies.filter((l) => l > 2000).length}`);
  const w = summarise(txWaits);
  console.log(
    `transactions: ${txWaits.length}, wait to start ms: p50 ${w.p50.toFixed(1)}  p99 ${w.p99.toFixed(1)}  max ${w.max.toFixed(1)}, over 2 s: ${txWaits.filter((ms) => ms > 2000).length}`,
  );
  for (const [reason, n] of errors) console.log(`  ${n} × ${reason.slice(0, 160)}`);
  if (WITH_CLI) {
    console.log(`token CLI runs: ${cli.runs}, failed: ${cli.failed}`);
    for (const [reason, n] of cli.reasons) console.log(`  ${n} × ${reason}`);
  }
  console.log(`server error log lines: ${serverErrors.count} (${serverErrors.locked} "database is locked")`);

  await server.close();
  await db.orm.close(true);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
