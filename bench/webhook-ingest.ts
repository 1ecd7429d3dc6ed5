/**
 * Webhook ingestion throughput: one signed sandbox batch of status callbacks against the real
 * server (`createServer`, port 0), timed from the POST to its 200, printed as events/s.
 *
 *   node -r @swc-node/register bench/webhook-ingest.ts            # 5,000 statuses, SQLite temp file
 *   WEBHOOK_BENCH_EVENTS=2000 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node -r @swc-node/register bench/webhook-ingest.ts
 *   WEBHOOK_BENCH_PROFILE=/tmp/ingest.cpuprofile node -r @swc-node/register bench/webhook-ingest.ts   # CPU profile of the first delivery only
 *
 * The batch is what a provider sends for a burst of sends: for every third message a SENT, a
 * DELIVERED and a READ (Meta advises capacity for 3 callbacks per message), in that order, each
 * with its own provider event id. The same batch is then posted again to time redelivery, which
 * must change nothing.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { sandboxSettings, sandboxWebhookSecret } from '../src/channels/sandbox/sandbox.settings';
import { signSandboxWebhook, SANDBOX_SIGNATURE_HEADER, type SandboxWireEvent } from '../src/channels/sandbox/sandbox.wire';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { queryStatsStorage, type QueryStats } from '../src/db/query-stats';
import { Message } from '../src/modules/message/message.entity';
import { seedDemo } from '../src/seed/demo';
import { createServer } from '../src/server';
import { insertHandedOffMessages } from '../test/helpers/bulk';
import { createBenchDatabase } from './lib/database';

const EVENTS = Number(process.env.WEBHOOK_BENCH_EVENTS ?? 5000);
const PROFILE = process.env.WEBHOOK_BENCH_PROFILE || null;

/** Profiles `fn` (this process, so the server's work) into a .cpuprofile for Chrome DevTools or speedscope. */
async function profiled<T>(file: string | null, fn: () => Promise<T>): Promise<T> {
  if (!file) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase(process.env.BENCH_DATABASE_URL || null);
  const { db } = bench;
  const config = { ...bench.config, exposeSqlStats: false, delivery: { ...bench.config.delivery, runWorker: false } };
  const demo = await seedDemo(db.em.fork());
  const inbox = demo.whatsapp;

  // Outbound messages already SENT to the provider, each with its channel message id.
  const messages = Math.ceil(EVENTS / 3);
  const now = Date.now();
  await insertHandedOffMessages(db.em.fork(), demo, { count: messages, channelIdPrefix: 'bench', at: new Date(now - 60_000) });

  const wire: SandboxWireEvent[] = [];
  const steps = ['sent', 'delivered', 'read'] as const;
  for (let i = 0; wire.length < EVENTS; i++) {
    const step = steps[Math.floor(i / messages)];
    const m = i % messages;
    wire.push({
      id: `bench-evt-${step}-${m}`,
      type: 'status',
      timestamp: new Date(now - 30_000 + Math.floor(i / messages) * 1000).toISOString(),
      message_id: `bench.${m}`,
      status: step,
    });
  }
  const body = JSON.stringify({ events: wire });
  const secret = sandboxWebhookSecret(inbox.id, sandboxSettings(inbox.providerConfig), config.delivery.sandboxSecret);

  // Started inside a stats store, which every connection it accepts inherits: the ORM's logger
  // counts each SQL statement the ingestion issues into `sql` (the worker is off, so little else runs).
  const sql: QueryStats = { count: 0 };
  const server = await queryStatsStorage.run(sql, () =>
    createServer({ ...config, limits: { ...config.limits, maxBodyBytes: Math.max(config.limits.maxBodyBytes, body.length) } }, { db }),
  );
  const post = async () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const statementsBefore = sql.count;
    const res = await fetch(`${server.origin}/webhooks/${inbox.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(secret, body) },
      body,
    });
    const answer = await res.text();
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${answer}`);
    return { ms, cpuMs: (used.user + used.system) / 1000, statements: sql.count - statementsBefore, answer };
  };
  // The server runs in this process, so its CPU time is the ingestion's: a figure that holds on a busy machine.
  const line = (r: { ms: number; cpuMs: number; statements: number }) =>
    `${r.ms.toFixed(0)} ms, ${Math.round((EVENTS / r.ms) * 1000).toLocaleString('en-US')} events/s; CPU ${r.cpuMs.toFixed(0)} ms (${((r.cpuMs * 1000) / EVENTS).toFixed(0)} µs/event); ${r.statements.toLocaleString('en-US')} SQL statements (${(r.statements / EVENTS).toFixed(2)}/event); load ${os.loadavg()[0].toFixed(1)};`;
  try {
    console.log(
      `Webhook ingestion — ${db.dialect === 'postgresql' ? 'PostgreSQL' : 'SQLite'}, ${EVENTS.toLocaleString('en-US')} status events over ${messages.toLocaleString('en-US')} messages, ${(body.length / 1024).toFixed(0)} KiB body`,
    );
    const first = await profiled(PROFILE, post);
    const check = db.em.fork();
    const read = await check.count(Message, {
      inboxId: inbox.id,
      channelMessageId: { $like: 'bench.%' },
      deliveryStatus: DeliveryStatus.READ,
    });
    console.log(`first delivery : ${line(first)} ${first.answer}; ${read} of ${messages} messages READ`);
    const again = await post();
    console.log(`redelivery     : ${line(again)} ${again.answer}`);
  } finally {
    await server.close();
    await bench.dispose(false);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
