/**
 * `BENCH_SECTIONS=cluster BENCH_DATABASE_URL=postgres://… npm run bench`: status-webhook ingest
 * for ONE tenant, with 16 concurrent senders each posting one signed sandbox status callback per
 * request, against one instance and then two (real `src/main.ts` processes on one PostgreSQL
 * database and Redis), and the ratio. For every message a SENT, a DELIVERED and a READ (Meta advises
 * capacity for 3 callbacks per send), all SENTs first, then DELIVEREDs, then READs.
 *
 * CLUSTER_BENCH_EVENTS (default 3,000) sets the callbacks per run; CLUSTER_BENCH_SENDERS (16) the
 * concurrency. Needs PostgreSQL (BENCH_DATABASE_URL) and Redis (REDIS_URL or 127.0.0.1:6379).
 */
import os from 'node:os';
import { sandboxSettings, sandboxWebhookSecret } from '../src/channels/sandbox/sandbox.settings';
import { signSandboxWebhook, SANDBOX_SIGNATURE_HEADER, type SandboxWireEvent } from '../src/channels/sandbox/sandbox.wire';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { seedDemo } from '../src/seed/demo';
import { insertHandedOffMessages } from '../test/helpers/bulk';
import { startChildServer, type ChildServer } from '../test/helpers/child-server';
import { redisUnavailable, REDIS_URL } from '../test/helpers/cluster';
import { createBenchDatabase } from './lib/database';
import type { BenchSection } from './lib/section';

const EVENTS = Number(process.env.CLUSTER_BENCH_EVENTS ?? 3000);
const SENDERS = Number(process.env.CLUSTER_BENCH_SENDERS ?? 16);
const SANDBOX_SECRET = 'cluster-bench-sandbox-secret';

interface IngestRun {
  instances: number;
  events: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  read: number;
  messages: number;
  load: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

export const clusterSection: BenchSection = {
  name: 'cluster',
  title: `Cluster: status-webhook ingest for one tenant, ${SENDERS} concurrent senders (PostgreSQL + Redis)`,
  async run(ctx) {
    const why = !ctx.options.databaseUrl ? 'needs BENCH_DATABASE_URL=postgres://…' : await redisUnavailable();
    if (why) return { lines: [`skipped: ${why}`], json: { skipped: why } };

    const bench = await createBenchDatabase(ctx.options.databaseUrl);
    const children: ChildServer[] = [];
    try {
      const demo = await seedDemo(bench.db.em.fork());
      const inbox = demo.whatsapp;
      const secret = sandboxWebhookSecret(inbox.id, sandboxSettings(inbox.providerConfig), SANDBOX_SECRET);
      const env = {
        DATABASE_URL: bench.config.databaseUrl,
        REDIS_URL,
        DATA_DIR: bench.config.dataDir,
        SEED_DEMO: 'false',
        DELIVERY_WORKER: 'false',
        EVENT_PRUNE_INTERVAL_MS: '0',
        SANDBOX_WEBHOOK_SECRET: SANDBOX_SECRET,
        LOG_LEVEL: 'warn',
      };
      for (let i = 0; i < 2; i++) children.push(await startChildServer(env));

      const runs: IngestRun[] = [];
      for (const instances of [1, 2]) {
        const prefix = `cl${instances}`;
        const messages = Math.ceil(EVENTS / 3);
        await insertHandedOffMessages(bench.db.em.fork(), demo, {
          count: messages,
          channelIdPrefix: prefix,
          at: new Date(Date.now() - 60_000),
        });
        const steps = ['sent', 'delivered', 'read'] as const;
        const wire: SandboxWireEvent[] = [];
        const base = Date.now() - 30_000;
        for (let i = 0; wire.length < EVENTS; i++) {
          const step = Math.floor(i / messages);
          const m = i % messages;
          wire.push({
            id: `${prefix}-${steps[step]}-${m}`,
            type: 'status',
            timestamp: new Date(base + step * 1000).toISOString(),
            message_id: `${prefix}.${m}`,
            status: steps[step],
          });
        }
        const origins = children.slice(0, instances).map((c) => c.url.replace(/\/graphql$/, ''));
        ctx.progress(`cluster: ${EVENTS} callbacks to ${instances} instance(s)…`);
        let next = 0;
        const latencies: number[] = [];
        const started = performance.now();
        await Promise.all(
          Array.from({ length: SENDERS }, async () => {
            for (let i = next++; i < wire.length; i = next++) {
              const body = JSON.stringify({ events: [wire[i]] });
              const t0 = performance.now();
              const res = await fetch(`${origins[i % origins.length]}/webhooks/${inbox.id}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(secret, body) },
                body,
              });
              const text = await res.text();
              if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${text}`);
              latencies.push(performance.now() - t0);
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const read = await bench.db.em
          .fork()
          .count(Message, { inboxId: inbox.id, channelMessageId: { $like: `${prefix}.%` }, deliveryStatus: DeliveryStatus.READ });
        latencies.sort((a, b) => a - b);
        runs.push({
          instances,
          events: wire.length,
          seconds,
          perSecond: wire.length / seconds,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          read,
          messages,
          load: os.loadavg()[0],
        });
      }
      const [one, two] = runs;
      const lines = [
        '| instances | callbacks | seconds | callbacks/s | p50 ms | p99 ms | messages READ | load |',
        '| --------- | --------- | ------- | ----------- | ------ | ------ | ------------- | ---- |',
        ...runs.map(
          (r) =>
            `| ${r.instances} | ${r.events} | ${r.seconds.toFixed(1)} | ${Math.round(r.perSecond)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.read} of ${r.messages} | ${r.load.toFixed(1)} |`,
        ),
        `two instances / one: ${(two.perSecond / one.perSecond).toFixed(2)}× (${os.cpus().length} CPUs shared with the senders and PostgreSQL)`,
      ];
      return { lines, json: { senders: SENDERS, runs, ratio: two.perSecond / one.perSecond } };
    } finally {
      for (const c of children) await c.stop();
      await bench.dispose(false);
    }
  },
};
