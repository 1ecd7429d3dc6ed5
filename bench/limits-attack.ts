/**
 * The audit's abusive requests against the real server, with and without a token:
 *
 *   node -r @swc-node/register bench/limits-attack.ts
 *
 * 1. One request with 1,000 aliases of a full `__schema` (about 160 KiB, no token): status, time,
 *    response size, the slowest `/healthz` answered meanwhile, and RSS growth.
 * 2. One websocket frame of FRAME_MB (60) MB sent before `connection_init`: the close code, time to
 *    close, and the largest RSS growth sampled while it was sent.
 * Settings: ALIASES (1000), FRAME_MB (60).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { loadConfig } from '../src/config';
import { initDatabase } from '../src/db/orm';
import { seedDemo } from '../src/seed/demo';
import { createServer } from '../src/server';

const ALIASES = Number(process.env.ALIASES ?? 1000);
const FRAME_MB = Number(process.env.FRAME_MB ?? 60);
const MB = 1024 * 1024;

/** The attacking client: one frame of argv[2] MB, then prints the close code. */
const WS_CLIENT = `
const WebSocket = require(${JSON.stringify(require.resolve('ws'))});
const socket = new WebSocket(process.argv[1], 'graphql-transport-ws');
socket.on('error', () => {});
socket.on('close', (code) => { console.log(code); process.exit(0); });
socket.on('open', () => socket.send(Buffer.alloc(Number(process.argv[2]) * 1e6, 0x61)));
`;

const FULL =
  '{ types { kind name description fields(includeDeprecated: true) { name description args { name type { kind name ofType { kind name ofType { kind name } } } } type { kind name ofType { kind name ofType { kind name } } } } } }';

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-limits-bench-'));
  const config = loadConfig({ SEED_DEMO: 'false' }, { port: 0, dataDir: dir, databaseUrl: `file:${path.join(dir, 'bench.db')}` });
  const db = await initDatabase(config);
  await seedDemo(db.em.fork());
  const server = await createServer(config, { db });
  try {
    // 1. The introspection request.
    // Warm up (first-request compilation is not what is measured).
    await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    const query = `{ ${Array.from({ length: ALIASES }, (_, i) => `s${i}: __schema ${FULL}`).join(' ')} }`;
    const rssBefore = process.memoryUsage().rss;
    let slowestHealth = 0;
    let done = false;
    const health = (async () => {
      while (!done) {
        const t0 = performance.now();
        // A reset keep-alive socket counts as the time it took to fail.
        await fetch(`${server.origin}/healthz`).catch(() => null);
        slowestHealth = Math.max(slowestHealth, performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    const body = await res.text();
    const took = performance.now() - t0;
    done = true;
    await health;
    const code = /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? '-';
    console.log(
      `__schema × ${ALIASES} (${Math.round(query.length / 1024)} KiB, no token): HTTP ${res.status} ${code}, ${took.toFixed(0)} ms, ` +
        `${(body.length / MB).toFixed(2)} MB answered, slowest /healthz meanwhile ${slowestHealth.toFixed(0)} ms, ` +
        `RSS +${Math.round((process.memoryUsage().rss - rssBefore) / MB)} MB`,
    );

    // 2. A big websocket frame before connection_init, from another process so only the server's memory is sampled.
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t1 = performance.now();
    const client = spawn(process.execPath, ['-e', WS_CLIENT, server.url.replace(/^http/, 'ws'), String(FRAME_MB)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    client.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => client.once('exit', resolve));
    const tookWs = performance.now() - t1;
    clearInterval(sampler);
    console.log(
      `${FRAME_MB} MB frame before connection_init: closed ${out.trim()} after ${tookWs.toFixed(0)} ms (client process included), ` +
        `server RSS peak +${Math.round((peak - base) / MB)} MB`,
    );
  } finally {
    await server.close();
    await db.orm.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
