import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../src/config';
import { ChildGroup, childFdLimit, clockMs, type BenchChild } from './lib/child-process';
import { prepareFanoutFixture, signedStatusCallback, type FanoutFixture } from './lib/fanout-data';
import { fanoutOptions, type FanoutOptions } from './lib/fanout-options';
import {
  FANOUT_SUBSCRIPTION,
  fanoutEventId,
  type ConnectArgs,
  type ConnectResult,
  type Samples,
  type ServerStats,
  type StatsArgs,
} from './lib/fanout-protocol';
import type { LatencySummary } from './lib/load';
import { fmtMs, fmtRate, fmtRatio, renderTable, round } from './lib/report';
import type { BenchContext, BenchSection, SectionResult } from './lib/section';
import { summarise } from './lib/stats';

/** Unmeasured events before each run's measured phases (JIT, caches, the first frame captured); the last sets the pace. */
const WARMUP_EVENTS = 2;
/** Bounds on the events of each measured phase; within them, counts follow from BENCH_FANOUT_PHASE_S. */
const LATENCY_EVENTS = { min: 3, max: 50 };
const BURST_EVENTS = { min: 3, max: 200 };
/** Websocket handshakes in flight at once per client process. */
const CONNECT_CONCURRENCY = 50;
/** How long one event may take to reach every client before the run is declared stuck (at least; scaled by the warm-up). */
const EVENT_TIMEOUT_MS = 60_000;
/** File descriptors a process needs besides its sockets (database, pipes, node's own). */
const FD_HEADROOM = 256;

type TargetKind = 'graphql' | 'reference';

/** How many events the measured phases of one size send; the reference gets the GraphQL run's plan. */
interface Plan {
  latencyEvents: number;
  burstEvents: number;
}

interface TargetResult {
  kind: TargetKind;
  clients: number;
  connectS: number;
  plan: Plan;
  /** Receive − send of every delivery in the one-event-at-a-time phase. */
  latency: LatencySummary;
  /** Per event of that phase: send → the last of the N clients has it. */
  allClients: LatencySummary;
  burst: { seconds: number; deliveriesPerS: number; eventsPerS: number; latency: LatencySummary };
  /** Server process CPU (user + system) over both measured phases ÷ deliveries. */
  cpuUsPerDelivery: number;
  /** SQL statements over both measured phases ÷ deliveries (webhook ingestion included); null without a database. */
  sqlPerDelivery: number | null;
  /** Server process CPU during the burst ÷ its wall time (1 = one core busy throughout). */
  serverCpuBurst: number;
  /** Client processes' CPU during the burst ÷ its wall time, summed over processes. */
  clientCpuBurst: number;
  memory: { heapBytesPerConnection: number; rssBytesPerConnection: number; baseRssBytes: number; gc: boolean };
  /** Server event-loop delay over both measured phases (and while the clients connected). */
  loopDelay: { maxMs: number; p99Ms: number; connectMaxMs: number };
  /** Clients the server closed after they had subscribed; the run carries on with the rest. */
  dropped: number;
  /** Deliveries that never happened because their socket had been closed. */
  lostDeliveries: number;
  problems: Samples['problems'];
}

interface SizeResult {
  clients: number;
  graphql: TargetResult;
  reference: TargetResult;
}

/** One delivery target: the server process, how to send it event `k`, and its websocket URL. */
interface Target {
  kind: TargetKind;
  server: BenchChild;
  wsUrl: string;
  /** Sends event `k` and returns the clock reading taken right before the request. */
  send(k: number): Promise<number>;
}

const cpuTotal = (c: { user: number; system: number }) => c.user + c.system;
const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/**
 * POST over a keep-alive agent; resolves with status and body. A request on a reused socket that the
 * server closed meanwhile (its keep-alive timer fires late while the fan-out keeps it busy) fails with
 * ECONNRESET before anything was processed, and is retried once on a new socket, as Node's docs advise.
 */
async function post(
  agent: http.Agent,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; retried: boolean }> {
  try {
    return { ...(await postOnce(agent, url, body, headers)), retried: false };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { reusedSocket?: boolean };
    if (e.code !== 'ECONNRESET' || !e.reusedSocket) throw err;
    return { ...(await postOnce(agent, url, body, headers)), retried: true };
  }
}

function postOnce(
  agent: http.Agent,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

/**
 * Which events all client processes have reported complete. A process reports event k once every
 * one of its sockets has it; a problem reported by any process (error frame, closed socket) fails
 * every wait at once instead of running into the timeout.
 */
class Arrivals {
  private readonly progress = new Map<number, { procs: number; lastAtMs: number }>();
  private readonly waiters = new Map<number, { resolve: (lastAtMs: number) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(private readonly procs: number) {}

  done(k: number, lastAtMs: number): void {
    const p = this.progress.get(k) ?? { procs: 0, lastAtMs: 0 };
    p.procs++;
    p.lastAtMs = Math.max(p.lastAtMs, lastAtMs);
    this.progress.set(k, p);
    if (p.procs === this.procs) this.waiters.get(k)?.resolve(p.lastAtMs);
  }

  fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiters.values()) w.reject(error);
    this.waiters.clear();
  }

  /** Throws the first problem a client reported, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Resolves with the time the last client got event k. */
  wait(k: number, timeoutMs = EVENT_TIMEOUT_MS): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    const p = this.progress.get(k);
    if (p && p.procs === this.procs) return Promise.resolve(p.lastAtMs);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(k);
        const got = this.progress.get(k)?.procs ?? 0;
        reject(
          new Error(`event ${k} did not reach every client within ${timeoutMs / 1000}s (${got}/${this.procs} client processes complete)`),
        );
      }, timeoutMs);
      this.waiters.set(k, {
        resolve: (at) => {
          clearTimeout(timer);
          this.waiters.delete(k);
          resolve(at);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }
}

/** Largest |clock offset| between this process and a child, by the ping with the shortest round trip. */
async function clockOffset(child: BenchChild): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 15; i++) {
    const t0 = clockMs();
    const tc = await child.call<number>('clock');
    const t1 = clockMs();
    if (t1 - t0 < best.rttMs) best = { offsetMs: tc - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Everything a measured run needs from the section. */
interface RunEnv {
  ctx: BenchContext;
  options: FanoutOptions;
  group: ChildGroup;
  /** The subscription's variables (the fixture's inbox). */
  variables: Record<string, unknown>;
  /** Event numbers are unique across the whole section (they are provider event ids too). */
  nextEvent(): number;
  clockOffsets: { offsetMs: number; rttMs: number }[];
  /** The first `next` frame a client received from the GraphQL server (for the reference's payload). */
  onSample(text: string): void;
}

/**
 * One target at one size: connect N subscribed clients, read idle memory per connection, warm up,
 * then the one-event-at-a-time latency phase and the burst, then collect every client's samples.
 */
async function measureTarget(env: RunEnv, target: Target, clients: number, plan: Plan | null): Promise<TargetResult> {
  const { options, group } = env;
  const procs = Math.min(options.clientProcesses, clients);
  const stats = (args: StatsArgs = {}) => target.server.call<ServerStats>('stats', args);
  const base = await stats({ gc: true, resetLoop: true });

  const arrivals = new Arrivals(procs);
  let dropped = 0;
  const clientProcs = await Promise.all(
    Array.from({ length: procs }, (_, i) => group.start(`fan-out clients ${i + 1}`, path.join(__dirname, 'fanout-clients.ts'))),
  );
  for (const c of clientProcs) {
    c.on('done', (m) => arrivals.done(m.k as number, m.lastAtMs as number));
    c.on('problem', (m) => arrivals.fail(new Error(`${c.name}: ${String(m.detail)}`)));
    c.on('closed', (m) => {
      if (dropped++ === 0) env.ctx.progress(`    (!) ${c.name}: ${String(m.detail)} — carrying on with the others`);
    });
    c.on('sample', (m) => env.onSample(m.text as string));
    env.clockOffsets.push(await clockOffset(c));
  }
  try {
    const connectStarted = clockMs();
    await Promise.all(
      clientProcs.map((c, i) =>
        c.call<ConnectResult>(
          'connect',
          {
            url: target.wsUrl,
            sockets: Math.floor(clients / procs) + (i < clients % procs ? 1 : 0),
            authorization: `Bearer ${env.ctx.workspace.token}`,
            query: FANOUT_SUBSCRIPTION,
            variables: env.variables,
            concurrency: CONNECT_CONCURRENCY,
          } satisfies ConnectArgs as ConnectArgs,
          300_000,
        ),
      ),
    );
    await waitFor(
      `${clients} subscriptions on the ${target.kind} server`,
      async () => {
        arrivals.throwIfFailed();
        return (await stats()).subscribers + dropped >= clients;
      },
      120_000,
    );
    const connectS = (clockMs() - connectStarted) / 1000;
    const idle = await stats({ gc: true, resetLoop: true });

    let timeoutMs = EVENT_TIMEOUT_MS;
    const sendAndWait = async () => {
      const k = env.nextEvent();
      const sentAt = await target.send(k);
      return { k, ms: (await arrivals.wait(k, timeoutMs)) - sentAt };
    };
    const warmups: number[] = [];
    for (let i = 0; i < WARMUP_EVENTS; i++) warmups.push((await sendAndWait()).ms);
    // The last warm-up event (the first pays for cold caches) sets the pace.
    const perEventMs = Math.max(1, warmups[warmups.length - 1]);
    timeoutMs = Math.max(EVENT_TIMEOUT_MS, 10 * perEventMs);
    plan ??= {
      latencyEvents: clamp(Math.ceil((options.phaseS * 1000) / perEventMs), LATENCY_EVENTS.min, LATENCY_EVENTS.max),
      burstEvents: clamp(Math.ceil((options.phaseS * 1000) / perEventMs), BURST_EVENTS.min, BURST_EVENTS.max),
    };
    env.ctx.progress(
      `    ${clients.toLocaleString('en-US')} clients connected and subscribed in ${connectS.toFixed(1)} s; warm-up events reached all in ${warmups.map(fmtMs).join(', ')} ms; ` +
        `${plan.latencyEvents} events one at a time, then a burst of ${plan.burstEvents}…`,
    );

    const clientCpu = () => Promise.all(clientProcs.map((c) => c.call<{ user: number; system: number }>('cpu')));
    const before = await stats({ resetLoop: true });
    const cpu0 = before.cpu;
    const latencyKs: number[] = [];
    const allClientsMs: number[] = [];
    for (let i = 0; i < plan.latencyEvents; i++) {
      const { k, ms } = await sendAndWait();
      latencyKs.push(k);
      allClientsMs.push(ms);
    }

    const cpu1 = (await stats()).cpu;
    const clientCpu1 = await clientCpu();
    const burstKs = Array.from({ length: plan.burstEvents }, () => env.nextEvent());
    const burstStart = clockMs();
    let queue = 0;
    const sender = async () => {
      while (queue < burstKs.length) await target.send(burstKs[queue++]);
    };
    const arrived = Promise.all(burstKs.map((k) => arrivals.wait(k, timeoutMs + 3 * burstKs.length * perEventMs)));
    // Read here so an error of a send is not left unhandled while the other waits are pending.
    await Promise.all([Promise.all(Array.from({ length: options.senders }, sender)), arrived]);
    const burstEnd = Math.max(...(await arrived));
    const after = await stats();
    const cpu2 = after.cpu;
    const clientCpu2 = await clientCpu();
    const burstWallUs = (burstEnd - burstStart) * 1000;

    const collected = await Promise.all(clientProcs.map((c) => c.call<Samples>('collect')));
    const samplesOf = (ks: number[]) => {
      const out: number[] = [];
      for (const s of collected) for (const k of ks) for (const v of s.byEvent[k] ?? []) out.push(v);
      return out;
    };
    const problems = collected.reduce(
      (acc, s) => ({
        unexpected: acc.unexpected + s.problems.unexpected,
        duplicates: acc.duplicates + s.problems.duplicates,
        errors: acc.errors + s.problems.errors,
        closed: acc.closed + s.problems.closed,
        firstProblem: acc.firstProblem ?? s.problems.firstProblem,
      }),
      { unexpected: 0, duplicates: 0, errors: 0, closed: 0, firstProblem: null } as Samples['problems'],
    );
    // NaN: the socket was closed before the event reached it.
    const delivered = (xs: number[]) => xs.filter((v) => !Number.isNaN(v));
    const latencyAll = samplesOf(latencyKs);
    const burstAll = samplesOf(burstKs);
    const latencySamples = delivered(latencyAll);
    const burstSamples = delivered(burstAll);
    const lostDeliveries = latencyAll.length + burstAll.length - latencySamples.length - burstSamples.length;
    const deliveries = latencySamples.length + burstSamples.length;
    return {
      kind: target.kind,
      clients,
      connectS,
      plan,
      latency: summarise(latencySamples),
      allClients: summarise(allClientsMs),
      burst: {
        seconds: burstWallUs / 1e6,
        deliveriesPerS: burstSamples.length / (burstWallUs / 1e6),
        eventsPerS: plan.burstEvents / (burstWallUs / 1e6),
        latency: summarise(burstSamples),
      },
      cpuUsPerDelivery: (cpuTotal(cpu2) - cpuTotal(cpu0)) / deliveries,
      sqlPerDelivery:
        after.sqlStatements === null || before.sqlStatements === null ? null : (after.sqlStatements - before.sqlStatements) / deliveries,
      serverCpuBurst: (cpuTotal(cpu2) - cpuTotal(cpu1)) / burstWallUs,
      clientCpuBurst: clientCpu2.reduce((sum, c, i) => sum + cpuTotal(c) - cpuTotal(clientCpu1[i]), 0) / burstWallUs,
      memory: {
        heapBytesPerConnection: (idle.memory.heapUsed - base.memory.heapUsed) / clients,
        rssBytesPerConnection: (idle.memory.rss - base.memory.rss) / clients,
        baseRssBytes: base.memory.rss,
        gc: base.gc && idle.gc,
      },
      loopDelay: { maxMs: after.loopDelay.maxMs, p99Ms: after.loopDelay.p99Ms, connectMaxMs: idle.loopDelay.maxMs },
      dropped,
      lostDeliveries,
      problems,
    };
  } finally {
    await Promise.allSettled(clientProcs.map((c) => c.call('close', undefined, 30_000)));
    await Promise.allSettled(clientProcs.map((c) => c.stop()));
  }
}

/** Starts the GraphQL server process against the benchmark database, with nothing running in the background. */
async function startGraphqlTarget(env: RunEnv, fixture: FanoutFixture, agent: http.Agent, nextMessage: () => string): Promise<Target> {
  const server = await env.group.start('GraphQL server', path.join(__dirname, 'fanout-server.ts'), { nodeArgs: ['--expose-gc'] });
  const base = env.ctx.database.config;
  // No delivery worker (nothing is queued: the messages were written as SENT) and no pruning timer.
  const config: Config = { ...base, port: 0, delivery: { ...base.delivery, runWorker: false }, eventPruneIntervalMs: 0 };
  const { origin, url } = await server.call<{ origin: string; url: string }>('start', config);
  const webhook = `${origin}/webhooks/${fixture.inboxId}`;
  return {
    kind: 'graphql',
    server,
    wsUrl: url.replace(/^http/, 'ws'),
    send: async (k) => {
      const channelMessageId = nextMessage();
      const sentAt = clockMs();
      const { body, headers } = signedStatusCallback(fixture, channelMessageId, fanoutEventId(k, sentAt), new Date(sentAt));
      const res = await post(agent, webhook, body, headers);
      // A retried POST the server had in fact ingested answers as a duplicate; its event went out once.
      if (res.status !== 200 || !(res.retried ? /"received":1,"duplicates":[01]/ : /"received":1,"duplicates":0/).test(res.text))
        throw new Error(`status webhook answered ${res.status}: ${res.text.slice(0, 300)}`);
      return sentAt;
    },
  };
}

/** Starts the plain-ws reference process; each event is the captured GraphQL payload with a fresh causationId. */
async function startReferenceTarget(env: RunEnv, frame: string, agent: http.Agent, clients: number): Promise<Target> {
  const server = await env.group.start('reference server', path.join(__dirname, 'fanout-reference.ts'), { nodeArgs: ['--expose-gc'] });
  const { origin, url } = await server.call<{ origin: string; url: string }>('start', { host: env.ctx.database.config.host });
  const payload = (JSON.parse(frame) as { payload: { data: Record<string, { causationId: string }> } }).payload;
  const field = Object.keys(payload.data)[0];
  return {
    kind: 'reference',
    server,
    wsUrl: url.replace(/^http/, 'ws'),
    send: async (k) => {
      const sentAt = clockMs();
      payload.data[field].causationId = fanoutEventId(k, sentAt);
      const res = await post(agent, `${origin}/broadcast`, JSON.stringify(payload), { 'content-type': 'application/json' });
      if (res.status !== 200 || res.text !== `{"sent":${clients}}`)
        throw new Error(`reference broadcast answered ${res.status}: ${res.text.slice(0, 300)}`);
      return sentAt;
    },
  };
}

/**
 * Status fan-out: N websocket clients (in separate processes) subscribed to one inbox's
 * `messageStatusChanged` on one server process; signed sandbox status webhooks go in, and the
 * section measures how long each event takes to reach every client, how many deliveries per
 * second the server sustains, and the server's CPU per delivery and memory per connection — next
 * to a plain `ws` server broadcasting the same JSON to the same clients.
 */
export const fanoutSection: BenchSection = {
  name: 'fanout',
  title: 'Subscription fan-out benchmark',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const options = fanoutOptions();
    const loadAtStart = os.loadavg()[0];
    const fdLimit = childFdLimit();
    const largest = Math.max(...options.sizes);
    const needed = largest + FD_HEADROOM;
    if (fdLimit !== null && fdLimit < needed) {
      throw new Error(
        `The fan-out server needs ${needed} open files for ${largest} clients, but child processes can only get ${fdLimit} (ulimit -n; hard limit too low). ` +
          `Raise the hard limit or lower BENCH_FANOUT_SIZES.`,
      );
    }

    const perSize = WARMUP_EVENTS + LATENCY_EVENTS.max + BURST_EVENTS.max;
    ctx.progress(`  preparing a sandbox inbox with ${(perSize * options.sizes.length).toLocaleString('en-US')} outbound messages at SENT…`);
    const fixture = await prepareFanoutFixture(
      ctx.database.db,
      ctx.workspace.tenantId,
      ctx.workspace.ownerId,
      perSize * options.sizes.length,
    );
    let messageIndex = 0;
    const nextMessage = () => {
      if (messageIndex >= fixture.channelMessageIds.length) throw new Error('the fan-out fixture ran out of messages');
      return fixture.channelMessageIds[messageIndex++];
    };
    let eventCounter = 0;
    let frame: string | null = null;
    const group = new ChildGroup();
    const agent = new http.Agent({ keepAlive: true, maxSockets: options.senders });
    const env: RunEnv = {
      ctx,
      options,
      group,
      variables: { inboxId: fixture.inboxId },
      nextEvent: () => ++eventCounter,
      clockOffsets: [],
      onSample: (text) => void (frame ??= text),
    };
    const results: SizeResult[] = [];
    try {
      for (const clients of options.sizes) {
        ctx.progress(
          `  ${clients.toLocaleString('en-US')} clients, GraphQL server (${Math.min(options.clientProcesses, clients)} client processes)…`,
        );
        const graphqlTarget = await startGraphqlTarget(env, fixture, agent, nextMessage);
        let graphql: TargetResult;
        try {
          graphql = await measureTarget(env, graphqlTarget, clients, null);
        } finally {
          await graphqlTarget.server.call('close', undefined, 30_000).catch(() => undefined);
          await graphqlTarget.server.stop();
        }
        if (!frame) throw new Error('no client captured a subscription frame');
        ctx.progress(`  ${clients.toLocaleString('en-US')} clients, plain ws reference…`);
        const referenceTarget = await startReferenceTarget(env, frame, agent, clients);
        let reference: TargetResult;
        try {
          reference = await measureTarget(env, referenceTarget, clients, graphql.plan);
        } finally {
          await referenceTarget.server.call('close', undefined, 30_000).catch(() => undefined);
          await referenceTarget.server.stop();
        }
        results.push({ clients, graphql, reference });
      }
    } finally {
      agent.destroy();
      await group.stopAll();
    }
    return report(options, fdLimit, frame!, env.clockOffsets, [loadAtStart, os.loadavg()[0]], results);
  },
};

function targetJson(r: TargetResult) {
  const lat = (s: LatencySummary, digits = 3) => ({
    p50Ms: round(s.p50, digits),
    p90Ms: round(s.p90, digits),
    p99Ms: round(s.p99, digits),
    maxMs: round(s.max, digits),
  });
  return {
    connectS: round(r.connectS, 2),
    latency: lat(r.latency),
    allClients: lat(r.allClients),
    burst: {
      seconds: round(r.burst.seconds, 3),
      deliveriesPerS: round(r.burst.deliveriesPerS, 0),
      eventsPerS: round(r.burst.eventsPerS, 2),
      ...lat(r.burst.latency),
    },
    cpuUsPerDelivery: round(r.cpuUsPerDelivery, 2),
    sqlPerDelivery: r.sqlPerDelivery === null ? null : round(r.sqlPerDelivery, 3),
    serverCpuBurst: round(r.serverCpuBurst, 3),
    clientCpuBurst: round(r.clientCpuBurst, 3),
    memory: {
      heapKBPerConnection: round(r.memory.heapBytesPerConnection / 1024, 2),
      rssKBPerConnection: round(r.memory.rssBytesPerConnection / 1024, 2),
      baseRssMB: round(r.memory.baseRssBytes / 2 ** 20, 1),
      gc: r.memory.gc,
    },
    loopDelay: { maxMs: round(r.loopDelay.maxMs, 1), p99Ms: round(r.loopDelay.p99Ms, 1), connectMaxMs: round(r.loopDelay.connectMaxMs, 1) },
    dropped: r.dropped,
    lostDeliveries: r.lostDeliveries,
    problems: r.problems,
  };
}

function report(
  options: FanoutOptions,
  fdLimit: number | null,
  frame: string,
  offsets: { offsetMs: number; rttMs: number }[],
  loadAvg: [number, number],
  results: SizeResult[],
): SectionResult {
  const maxOffset = offsets.reduce((m, o) => (Math.abs(o.offsetMs) > Math.abs(m.offsetMs) ? o : m), { offsetMs: 0, rttMs: 0 });
  const frameBytes = Buffer.byteLength(frame);
  const lines: string[] = [];
  lines.push(
    `messageStatusChanged(inboxId) on one server process; clients in ${options.clientProcesses} other processes (raw ws, graphql-transport-ws); ` +
      `one DELIVERED status webhook per event; frame ${frameBytes} bytes. Reference: plain ws server sending the same frame (serialised once).`,
  );
  lines.push(
    `Latency = client receive − sender clock right before the signed POST (performance.timeOrigin + performance.now() in every process; ` +
      `largest measured offset between processes ${Math.abs(maxOffset.offsetMs).toFixed(3)} ms, ping round trip ${maxOffset.rttMs.toFixed(3)} ms). ` +
      `Load average ${loadAvg[0].toFixed(2)} at the start of the section, ${loadAvg[1].toFixed(2)} at the end.`,
  );
  lines.push('');
  const row = (label: string, r: TargetResult) => [
    r.clients.toLocaleString('en-US'),
    label,
    `${r.plan.latencyEvents}+${r.plan.burstEvents}`,
    fmtMs(r.latency.p50),
    fmtMs(r.latency.p99),
    fmtMs(r.allClients.p50),
    fmtMs(r.burst.latency.p99),
    fmtRate(r.burst.deliveriesPerS),
    r.cpuUsPerDelivery.toFixed(r.cpuUsPerDelivery >= 100 ? 0 : 1),
    r.sqlPerDelivery === null ? null : r.sqlPerDelivery.toFixed(2),
    `${Math.round(r.serverCpuBurst * 100)}%`,
    `${Math.round(r.clientCpuBurst * 100)}%`,
    (r.memory.heapBytesPerConnection / 1024).toFixed(1),
    (r.memory.rssBytesPerConnection / 1024).toFixed(1),
    fmtMs(r.loopDelay.maxMs),
  ];
  const ratio = (g: TargetResult, r: TargetResult) => [
    '',
    'GraphQL ÷ ref',
    '',
    fmtRatio(g.latency.p50, r.latency.p50),
    fmtRatio(g.latency.p99, r.latency.p99),
    fmtRatio(g.allClients.p50, r.allClients.p50),
    fmtRatio(g.burst.latency.p99, r.burst.latency.p99),
    fmtRatio(g.burst.deliveriesPerS, r.burst.deliveriesPerS),
    fmtRatio(g.cpuUsPerDelivery, r.cpuUsPerDelivery),
    null,
    fmtRatio(g.serverCpuBurst, r.serverCpuBurst),
    fmtRatio(g.clientCpuBurst, r.clientCpuBurst),
    fmtRatio(g.memory.heapBytesPerConnection, r.memory.heapBytesPerConnection),
    fmtRatio(g.memory.rssBytesPerConnection, r.memory.rssBytesPerConnection),
    fmtRatio(g.loopDelay.maxMs, r.loopDelay.maxMs),
  ];
  lines.push(
    ...renderTable(
      [
        { header: 'clients' },
        { header: 'server', left: true },
        { header: 'events' },
        { header: 'p50 ms' },
        { header: 'p99 ms' },
        { header: 'all-N ms' },
        { header: 'burst p99' },
        { header: 'deliveries/s' },
        { header: 'CPU µs/deliv' },
        { header: 'SQL/deliv' },
        { header: 'srv CPU' },
        { header: 'cli CPU' },
        { header: 'heap KB/conn' },
        { header: 'RSS KB/conn' },
        { header: 'stall ms' },
      ],
      results.flatMap((s) => [row('GraphQL', s.graphql), row('ws reference', s.reference), ratio(s.graphql, s.reference)]),
    ),
  );
  lines.push('');
  lines.push(
    'events: one-at-a-time + burst. p50/p99: every delivery of the one-at-a-time phase. all-N: median time until the LAST client had an event. ' +
      `burst: ${options.senders} webhook POSTs in flight; deliveries/s = deliveries ÷ (first send → last delivery). CPU µs/deliv: server process user+system ` +
      'over both phases ÷ deliveries; SQL/deliv likewise (webhook ingestion included). srv/cli CPU: during the burst, share of one core (clients summed). ' +
      'heap/RSS: after N idle subscribed clients minus before, ÷ N, after gc(). stall: longest server event-loop delay during the two phases.',
  );
  for (const s of results) {
    for (const r of [s.graphql, s.reference]) {
      const p = r.problems;
      if (p.unexpected + p.duplicates + p.errors + p.closed > 0) {
        lines.push(
          `(!) ${r.kind} at ${r.clients}: ${p.closed} clients closed by the server (${r.lostDeliveries} deliveries lost; figures cover the rest), ` +
            `${p.unexpected} unexpected frames, ${p.duplicates} duplicates, ${p.errors} errors — first: ${p.firstProblem}`,
        );
      }
    }
  }
  const json = {
    method: {
      subscription: 'messageStatusChanged(inboxId)',
      frameBytes,
      clientProcesses: options.clientProcesses,
      senders: options.senders,
      clock: 'performance.timeOrigin+performance.now()',
      maxClockOffsetMs: round(Math.abs(maxOffset.offsetMs), 4),
      fdLimit: fdLimit === null ? null : Number.isFinite(fdLimit) ? fdLimit : 'unlimited',
      loadAvg1m: { start: round(loadAvg[0], 2), end: round(loadAvg[1], 2) },
    },
    sizes: results.map((s) => ({
      clients: s.clients,
      events: { warmup: WARMUP_EVENTS, latency: s.graphql.plan.latencyEvents, burst: s.graphql.plan.burstEvents },
      graphql: targetJson(s.graphql),
      reference: targetJson(s.reference),
      ratios: {
        p50: round(s.graphql.latency.p50 / s.reference.latency.p50, 3),
        p99: round(s.graphql.latency.p99 / s.reference.latency.p99, 3),
        allClientsP50: round(s.graphql.allClients.p50 / s.reference.allClients.p50, 3),
        burstP99: round(s.graphql.burst.latency.p99 / s.reference.burst.latency.p99, 3),
        deliveriesPerS: round(s.graphql.burst.deliveriesPerS / s.reference.burst.deliveriesPerS, 4),
        cpuPerDelivery: round(s.graphql.cpuUsPerDelivery / s.reference.cpuUsPerDelivery, 3),
        heapPerConnection: round(s.graphql.memory.heapBytesPerConnection / s.reference.memory.heapBytesPerConnection, 3),
        rssPerConnection: round(s.graphql.memory.rssBytesPerConnection / s.reference.memory.rssBytesPerConnection, 3),
        loopDelayMax: round(s.graphql.loopDelay.maxMs / s.reference.loopDelay.maxMs, 3),
      },
    })),
  };
  return { lines, json };
}
