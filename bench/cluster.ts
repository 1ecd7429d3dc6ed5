/**
 * `BENCH_SECTIONS=cluster BENCH_DATABASE_URL=postgres://… npm run bench`: status-webhook ingest
 * for ONE tenant, with 16 concurrent senders each posting one signed sandbox status callback per
 * request, against one instance and then two (real `src/main.ts` processes on one PostgreSQL
 * database and Redis), and the ratio. For every message a SENT, a DELIVERED and a READ (Meta advises
 * capacity for 3 callbacks per send), all SENTs first, then DELIVEREDs, then READs.
 *
 * During both ingest runs a subscriber connected to instance B (`inboxEvents` for the inbox) times
 * each callback posted to instance A from the request's start to the status change's arrival on
 * B's socket: the cross-instance path (A's commit, Redis, B's replay-then-live stream). Then the
 * same senders call `sendMessage` over GraphQL (delivery worker off: what is measured is the
 * accepting transaction and its events), against one instance and then two.
 *
 * CLUSTER_BENCH_EVENTS (default 3,000) sets the callbacks per run; CLUSTER_BENCH_SENDS (1,000) the
 * sends per run; CLUSTER_BENCH_SENDERS (16) the concurrency. Needs PostgreSQL (BENCH_DATABASE_URL)
 * and Redis (REDIS_URL or 127.0.0.1:6379).
 */
import os from 'node:os';
import { sandboxSettings, sandboxWebhookSecret } from '../src/channels/sandbox/sandbox.settings';
import { signSandboxWebhook, SANDBOX_SIGNATURE_HEADER, type SandboxWireEvent } from '../src/channels/sandbox/sandbox.wire';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { issueToken } from '../src/modules/auth/token.service';
import { encodeEventCursor } from '../src/modules/event/event-cursor';
import { Tenant } from '../src/modules/tenant/tenant.entity';
import { seedDemo } from '../src/seed/demo';
import { wsClient } from '../test/helpers/subscriptions';
import { insertHandedOffMessages } from '../test/helpers/bulk';
import { startChildServer, type ChildServer } from '../test/helpers/child-server';
import { redisUnavailable, REDIS_URL } from '../test/helpers/cluster';
import { createBenchDatabase } from './lib/database';
import type { BenchSection } from './lib/section';
import { openConversationSends } from './lib/send-targets';

const EVENTS = Number(process.env.CLUSTER_BENCH_EVENTS ?? 3000);
const SENDS = Number(process.env.CLUSTER_BENCH_SENDS ?? 1000);
const SENDERS = Number(process.env.CLUSTER_BENCH_SENDERS ?? 16);
const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`;
const STATUSES = `subscription Statuses($inboxId: ID, $after: String) {
  inboxEvents(inboxId: $inboxId, after: $after) { __typename ... on MessageStatusChangedEvent { to message { id } } }
}`;
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
  /** Callbacks posted to instance A, from the request's start to the event on B's subscriber. */
  crossP50Ms: number;
  crossP99Ms: number;
  crossSamples: number;
}

interface SendRun {
  instances: number;
  sends: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
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
      const { token } = await issueToken(bench.db.em.fork(), { tenantId: demo.tenant.id, userId: demo.owner.id, name: 'cluster-bench' });
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
        const ids = await insertHandedOffMessages(bench.db.em.fork(), demo, {
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
        // Keyed `${messageId}:${STATUS}`: when the callback to A was posted, and when B's subscriber saw it.
        const postedToA = new Map<string, number>();
        const cross: number[] = [];
        const keyOf = (i: number) => `${ids[i % messages]}:${steps[Math.floor(i / messages)].toUpperCase()}`;
        const expected = new Set(
          wire
            .map((_, i) => i)
            .filter((i) => i % origins.length === 0)
            .map(keyOf),
        );
        let allArrived!: () => void;
        const arrived = new Promise<void>((resolve) => (allArrived = resolve));
        const seenOnB = new Set<string>();
        const subscriber = wsClient(children[1].url, token);
        const head = await bench.db.em.fork().findOneOrFail(Tenant, { id: demo.tenant.id });
        let subscribed!: () => void;
        const live = new Promise<void>((resolve) => (subscribed = resolve));
        const unsubscribe = subscriber.subscribe<{ inboxEvents: { __typename: string; to?: string; message?: { id: string } } }>(
          { query: STATUSES, variables: { inboxId: inbox.id, after: encodeEventCursor(Number(head.eventSeq)) } },
          {
            next: ({ data }) => {
              const e = data?.inboxEvents;
              if (e?.__typename !== 'MessageStatusChangedEvent' || !e.message) return;
              const key = `${e.message.id}:${e.to}`;
              const t0 = postedToA.get(key);
              if (t0 !== undefined && !seenOnB.has(key)) {
                seenOnB.add(key);
                cross.push(performance.now() - t0);
              }
              if (expected.size > 0 && [...expected].every((k) => seenOnB.has(k))) allArrived();
            },
            error: (err) => ctx.progress(`cluster: subscriber on B failed: ${String(err)}`),
            complete: () => undefined,
          },
        );
        // The socket's ack means the server accepted the subscription; the cursor covers anything before it goes live.
        subscriber.on('connected', () => subscribed());
        await live;
        ctx.progress(`cluster: ${EVENTS} callbacks to ${instances} instance(s)…`);
        let next = 0;
        const latencies: number[] = [];
        const started = performance.now();
        await Promise.all(
          Array.from({ length: SENDERS }, async () => {
            for (let i = next++; i < wire.length; i = next++) {
              const body = JSON.stringify({ events: [wire[i]] });
              const t0 = performance.now();
              if (i % origins.length === 0) postedToA.set(keyOf(i), t0);
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
        // Wait (bounded) for the stragglers on B; the samples that never arrived are reported as missing.
        await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
        unsubscribe();
        await subscriber.dispose();
        cross.sort((a, b) => a - b);
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
          crossP50Ms: percentile(cross, 50),
          crossP99Ms: percentile(cross, 99),
          crossSamples: cross.length,
        });
        if (cross.length < expected.size) ctx.progress(`cluster: ${expected.size - cross.length} status changes never reached B`);
      }

      const targets = openConversationSends(demo);
      const sendRuns: SendRun[] = [];
      for (const instances of [1, 2]) {
        const urls = children.slice(0, instances).map((c) => c.url);
        ctx.progress(`cluster: ${SENDS} sendMessage calls to ${instances} instance(s)…`);
        let next = 0;
        let errors = 0;
        const latencies: number[] = [];
        const started = performance.now();
        await Promise.all(
          Array.from({ length: SENDERS }, async () => {
            for (let i = next++; i < SENDS; i = next++) {
              const target = targets[i % targets.length];
              const input = { recipient: { conversation: { conversationId: target.conversationId } }, content: target.content };
              const t0 = performance.now();
              const res = await fetch(urls[i % urls.length], {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
                body: JSON.stringify({ query: SEND, variables: { input } }),
              });
              const body = (await res.json()) as { errors?: unknown[] };
              latencies.push(performance.now() - t0);
              if (res.status !== 200 || body.errors?.length) {
                if (errors++ === 0) ctx.progress(`cluster: sendMessage failed: ${JSON.stringify(body.errors ?? res.status)}`);
              }
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        latencies.sort((a, b) => a - b);
        sendRuns.push({
          instances,
          sends: SENDS,
          seconds,
          perSecond: SENDS / seconds,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          errors,
          load: os.loadavg()[0],
        });
      }

      const [one, two] = runs;
      const [sendOne, sendTwo] = sendRuns;
      const lines = [
        '| instances | callbacks | seconds | callbacks/s | p50 ms | p99 ms | messages READ | A → subscriber on B p50 / p99 ms (samples) | load |',
        '| --------- | --------- | ------- | ----------- | ------ | ------ | ------------- | ------------------------------------------ | ---- |',
        ...runs.map(
          (r) =>
            `| ${r.instances} | ${r.events} | ${r.seconds.toFixed(1)} | ${Math.round(r.perSecond)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.read} of ${r.messages} | ${r.crossP50Ms.toFixed(1)} / ${r.crossP99Ms.toFixed(1)} (${r.crossSamples}) | ${r.load.toFixed(1)} |`,
        ),
        `callbacks, two instances / one: ${(two.perSecond / one.perSecond).toFixed(2)}× (${os.cpus().length} CPUs shared with the senders and PostgreSQL)`,
        '',
        '| instances | sendMessage calls | seconds | sends/s | p50 ms | p99 ms | errors | load |',
        '| --------- | ----------------- | ------- | ------- | ------ | ------ | ------ | ---- |',
        ...sendRuns.map(
          (r) =>
            `| ${r.instances} | ${r.sends} | ${r.seconds.toFixed(1)} | ${Math.round(r.perSecond)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.errors} | ${r.load.toFixed(1)} |`,
        ),
        `sends, two instances / one: ${(sendTwo.perSecond / sendOne.perSecond).toFixed(2)}×`,
      ];
      return {
        lines,
        json: { senders: SENDERS, runs, ratio: two.perSecond / one.perSecond, sendRuns, sendRatio: sendTwo.perSecond / sendOne.perSecond },
      };
    } finally {
      for (const c of children) await c.stop();
      await bench.dispose(false);
    }
  },
};
