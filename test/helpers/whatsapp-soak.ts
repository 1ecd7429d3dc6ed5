import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { initDatabase, type Database } from '../../src/db/orm';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { issueToken } from '../../src/modules/auth/token.service';
import { OutboxEntry, OutboxState } from '../../src/modules/delivery/outbox-entry.entity';
import { PendingStatus } from '../../src/modules/delivery/pending-status.entity';
import { Inbox } from '../../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { Message } from '../../src/modules/message/message.entity';
import { MessageDirection } from '../../src/modules/message/sender-type';
import { seedDemo } from '../../src/seed/demo';
import { FakeMeta, seededRandom, type MetaCopy, type MetaFaults } from './fake-meta';
import { createTestDatabaseUrl } from './postgres';

const ROOT = path.resolve(__dirname, '../..');
const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'EAAG-soak-token';
const APP_SECRET = 'soak-app-secret';

/** One fault-injection run: sends through a real server process that is killed and restarted. */
export interface SoakOptions {
  dialect: 'sqlite' | 'postgres';
  sends: number;
  /** `kill -9`s of the server, spread over the run, each while Meta holds a message we have not recorded. */
  kills: number;
  faults: MetaFaults;
  /** Customers the sends are spread over. */
  customers?: number;
  /** Sends in flight from the client side. */
  clientConcurrency?: number;
  seed?: number;
  /** Server delivery settings (env of the server process). */
  leaseMs?: number;
  settleMs?: number;
  maxAttempts?: number;
  /** Gives up waiting for the outbox to drain after this long (what is left counts as lost). */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
  /** Receives each server process's output (its last 20,000 characters) once it has ended. */
  serverOutput?: (text: string) => void;
}

/** What a run came to; every count but the informational ones should be 0. */
export interface SoakResult {
  dialect: string;
  sends: number;
  kills: number;
  seconds: number;
  requests: number;
  serverErrors: number;
  lateAnswers: number;
  silentCopies: number;
  /** Messages the customer got more than once. */
  duplicates: number;
  /** …of which an earlier copy had been reported to us before the next was sent (must be 0). */
  duplicatesAfterReport: number;
  /** …of which no earlier copy had been reported back when the next was sent (allowed). */
  duplicatesUnreported: number;
  /** Sends with no message, or a message neither accepted by Meta nor FAILED (stuck). */
  lost: number;
  /** Accepted and reported messages whose final status is not the last status Meta reported. */
  wrongFinalStatus: number;
  /** Messages FAILED although Meta accepted them and we could know it (a copy was reported, or answered in time). */
  failedButAccepted: number;
  /** Messages FAILED whose every copy Meta accepted but neither answered in time nor ever reported (allowed). */
  failedUnknowable: number;
  /** Messages FAILED that Meta never accepted (every attempt refused): visible, retryable, not lost. */
  failedNeverAccepted: number;
  /** Status callbacks still parked when the run has drained. */
  parkedForGood: number;
  /** Outbound messages beyond one per send (a retried sendMessage that wrote twice). */
  extraMessages: number;
  /** Webhook deliveries our server refused or failed (Meta redelivers them). */
  webhookRefusals: Record<string, number>;
  /** A few duplicated messages, copy by copy: ms from the first copy's request to each request and first report. */
  duplicateSamples: { late: boolean; silent: boolean; requestedMs: number; reportedMs: number | null }[][];
  /** A few messages counted lost, wrongly final or FAILED although accepted: what we stored and what Meta saw. */
  problemSamples: Record<string, unknown>[];
}

/** A Switchboard server started as `npm start` does, in its own process, so `kill -9` is real. */
interface ServerProcess {
  origin: string;
  child: ChildProcess;
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** A server process that has loaded its modules and waits to be told to start (test/helpers/standby-main.ts). */
interface StandbyProcess {
  child: ChildProcess;
  /** Starts serving; resolves once it listens. */
  activate(): Promise<ServerProcess>;
  /** Ends it unused. */
  discard(): Promise<void>;
}

function spawnStandby(env: Record<string, string>): StandbyProcess {
  // NODE_TEST_CONTEXT would make the child report to our test runner instead of serving.
  const { NODE_TEST_CONTEXT: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'test/helpers/standby-main.ts'], {
    cwd: ROOT,
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', CACHE_DIR: path.join(ROOT, '.cache'), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    child,
    discard: () => signal('SIGKILL'),
    async activate() {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start in 120 s:\n${output}`)), 120_000);
        const check = () => {
          const match = /serving GraphQL at (\S+)/.exec(output);
          if (!match) return;
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
          resolve(match[1]);
        };
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`server exited during start-up:\n${output}`));
        });
        child.stdin!.write('start\n');
      });
      return {
        origin: new URL(url).origin,
        child,
        output: () => output,
        kill9: () => signal('SIGKILL'),
        stop: () => signal('SIGTERM'),
      };
    },
  };
}

const SEND = `mutation SoakSend($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`;

/**
 * Runs `opts.sends` WhatsApp sends through a real server process against {@link FakeMeta}, with
 * provider faults and `kill -9`s, waits until everything has settled, and counts duplicates, lost
 * messages, wrong final statuses and statuses parked for good. Shared by the CI fault-injection
 * test (small) and `npm run soak` (1,000 sends).
 */
export async function runWhatsAppSoak(opts: SoakOptions): Promise<SoakResult> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const random = seededRandom(opts.seed ?? 7);
  const customers = opts.customers ?? 10;
  const leaseMs = opts.leaseMs ?? 1000;
  const settleMs = opts.settleMs ?? 2000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const fake = new FakeMeta({
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: ACCESS_TOKEN,
    appSecret: APP_SECRET,
    faults: opts.faults,
    random,
  });
  await fake.start();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-soak-'));
  const pg = opts.dialect === 'postgres' ? await createTestDatabaseUrl() : null;
  const databaseUrl = pg ? pg.url : `file:${path.join(dir, 'soak.db')}`;
  const config = loadConfig({}, { databaseUrl, dataDir: dir, seedDemo: false });
  let server: ServerProcess | null = null;
  let db: Database | null = null;
  const env = {
    DATABASE_URL: databaseUrl,
    DATA_DIR: dir,
    SEED_DEMO: 'false',
    EVENT_PRUNE_INTERVAL_MS: '0',
    DELIVERY_LEASE_MS: String(leaseMs),
    DELIVERY_UNCERTAIN_SETTLE_MS: String(settleMs),
    DELIVERY_MAX_ATTEMPTS: String(maxAttempts),
    DELIVERY_BASE_BACKOFF_MS: '20',
    DELIVERY_MAX_BACKOFF_MS: '200',
    DELIVERY_POLL_MS: '500',
    DELIVERY_CONCURRENCY: '8',
    SANDBOX_WEBHOOK_SECRET: 'soak',
    MEDIA_SIGNING_SECRET: 'soak',
  };
  // The first server loads its modules while we seed; each restart finds the next one ready.
  let spare: StandbyProcess | null = spawnStandby(env);
  const activateSpare = async (another: boolean): Promise<ServerProcess> => {
    const next = spare!;
    spare = null;
    const started = await next.activate();
    if (another) spare = spawnStandby(env);
    return started;
  };
  try {
    // Workspace, WhatsApp Cloud inbox pointing at the fake, and a token; then the server owns the database.
    let inboxId: string;
    let token: string;
    {
      const setup = await initDatabase(config);
      try {
        const em = setup.em.fork();
        const demo = await seedDemo(em);
        const inbox = em.create(Inbox, {
          tenantId: demo.tenant.id,
          name: 'WhatsApp (Cloud API, soak)',
          channel: ChannelKind.WHATSAPP,
          provider: 'whatsapp_cloud',
          senderAddress: '+14155550111',
          windowHours: null,
          humanAgentWindowHours: null,
          providerConfig: { phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, baseUrl: fake.url },
          createdAt: new Date(),
        });
        await em.flush();
        inboxId = inbox.id;
        token = (await issueToken(setup.em.fork(), { tenantId: demo.tenant.id, userId: demo.owner.id, name: 'soak' })).token;
      } finally {
        await setup.orm.close(true);
      }
    }

    server = await activateSpare(opts.kills > 0);
    fake.webhookUrl = `${server.origin}/webhooks/${inboxId}`;
    let up = Promise.resolve();
    log(`server up at ${server.origin} (${opts.dialect})`);

    // The customers write first: their window opens.
    const addresses = Array.from({ length: customers }, (_, i) => `49151123${String(40001 + i)}`);
    for (const [i, from] of addresses.entries()) {
      const status = await fake.inbound(from, `wamid.IN${i}`, 'Hallo!');
      if (status !== 200) throw new Error(`the inbound webhook answered ${status}:\n${server.output()}`);
    }

    // Kills: armed at evenly spread points of the run, fired when Meta next accepts a message (before it answers).
    let kills = 0;
    const cutOff = new Set<MetaCopy>();
    let restarting: Promise<void> | null = null;
    let armed = false;
    const restart = () => {
      const current = server!;
      fake.webhookUrl = null;
      restarting = (async () => {
        await current.kill9();
        opts.serverOutput?.(current.output());
        log(`kill -9 #${kills} of pid ${current.child.pid}`);
        server = await activateSpare(kills < opts.kills);
        fake.webhookUrl = `${server.origin}/webhooks/${inboxId}`;
        log(`restarted at ${server.origin}`);
      })();
      up = restarting.finally(() => (restarting = null));
    };
    fake.onAccept = (copy) => {
      if (!armed || restarting) return;
      armed = false;
      kills++;
      // Its answer goes to a dying process: we learn of this copy only from a report.
      cutOff.add(copy);
      restart();
    };

    const messageIds: (string | null)[] = Array.from({ length: opts.sends }, () => null);
    let done = 0;
    const killPoints = Array.from({ length: opts.kills }, (_, k) => Math.floor(((k + 1) * opts.sends) / (opts.kills + 1)));
    const sendOne = async (i: number): Promise<void> => {
      const input = {
        recipient: { channel: { inboxId, address: `+${addresses[i % customers]}` } },
        content: { text: { body: `Soak message ${i}` } },
        idempotencyKey: `soak-${i}`,
      };
      for (let tries = 0; ; tries++) {
        await up;
        try {
          const res = await fetch(`${server!.origin}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: SEND, variables: { input } }),
          });
          const json = (await res.json()) as { data?: { sendMessage?: { message?: { id: string } } }; errors?: unknown[] };
          const id = json.data?.sendMessage?.message?.id;
          if (id) {
            messageIds[i] = id;
            break;
          }
          if (res.status < 500 || tries > 20) throw new Error(`send ${i} refused: ${JSON.stringify(json.errors)}`);
        } catch (err) {
          // The server died under us: the same idempotency key after the restart writes nothing twice.
          if (tries > 20 || (err instanceof Error && err.message.startsWith(`send ${i} refused`))) throw err;
          await (restarting ?? new Promise((resolve) => setTimeout(resolve, 50)));
        }
      }
      done++;
      if (done % Math.max(1, Math.floor(opts.sends / 10)) === 0) log(`${done}/${opts.sends} sends committed`);
      if (killPoints.length && done >= killPoints[0]) {
        killPoints.shift();
        armed = true;
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.clientConcurrency ?? 8 }, async () => {
        while (next < opts.sends) await sendOne(next++);
      }),
    );
    log(`${opts.sends} sends committed after ${((Date.now() - started) / 1000).toFixed(1)} s; draining`);
    // A kill armed by the last sends fires on the next accepted message; do not leave it waiting.
    while (armed && kills < opts.kills) await new Promise((resolve) => setTimeout(resolve, 20));
    armed = false;
    await up;

    // The server's own gauge, not a connection of ours: a second process reading the SQLite file
    // while the server writes is not what is under test.
    const outboxDepth = async (): Promise<number> => {
      const res = await fetch(`${server!.origin}/metrics`);
      const match = /^switchboard_outbox_depth (\S+)$/m.exec(await res.text());
      return match ? Number(match[1]) : NaN;
    };
    const deadline = Date.now() + (opts.drainTimeoutMs ?? Math.max(300_000, settleMs * (maxAttempts + 2) * 2));
    for (;;) {
      const pendingEntries = await outboxDepth();
      if (pendingEntries === 0 && fake.idle) {
        log(`drained after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        break;
      }
      if (Date.now() > deadline) {
        log(`drain timed out: ${pendingEntries} outbox entries pending, fake idle: ${fake.idle}`);
        break;
      }
      await Promise.race([fake.whenIdle(), new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    await server.stop();
    opts.serverOutput?.(server.output());
    server = null;
    db = await initDatabase(config);
    const leftOver = await db.em.fork().count(OutboxEntry, { inboxId, state: OutboxState.PENDING });
    if (leftOver) log(`${leftOver} outbox entries still pending after the stop`);

    const em = db.em.fork();
    const ids = messageIds.filter((id): id is string => id !== null);
    const messages = new Map((await em.find(Message, { id: { $in: ids } })).map((m) => [m.id, m]));
    const outbound = await em.count(Message, { inboxId, direction: MessageDirection.OUTBOUND });
    const parked = await em.count(PendingStatus, {});
    const copies = new Map<string, MetaCopy[]>();
    for (const c of fake.copies) if (c.messageId) copies.set(c.messageId, [...(copies.get(c.messageId) ?? []), c]);

    const result: SoakResult = {
      dialect: opts.dialect,
      sends: opts.sends,
      kills,
      seconds: 0,
      requests: fake.requests,
      serverErrors: fake.serverErrors,
      lateAnswers: fake.copies.filter((c) => c.late).length,
      silentCopies: fake.copies.filter((c) => c.silent).length,
      duplicates: 0,
      duplicatesAfterReport: 0,
      duplicatesUnreported: 0,
      lost: opts.sends - ids.length,
      wrongFinalStatus: 0,
      failedButAccepted: 0,
      failedUnknowable: 0,
      failedNeverAccepted: 0,
      parkedForGood: parked,
      extraMessages: outbound - ids.length,
      webhookRefusals: fake.refusals,
      duplicateSamples: [],
      problemSamples: [],
    };
    const problem = (why: string, message: Message | undefined, sentCopies: MetaCopy[]) => {
      if (result.problemSamples.length >= 5) return;
      result.problemSamples.push({
        why,
        status: message?.deliveryStatus,
        failure: message?.failureCode ? `${message.failureCode}: ${message.failureReason}` : null,
        channelMessageId: message?.channelMessageId,
        history: message?.statusHistory.map((h) => h.status).join(' → '),
        copies: sentCopies.map((c) => ({
          wamid: c.wamid,
          at: new Date(c.requestedAt).toISOString(),
          late: c.late,
          silent: c.silent,
          acked: c.acked.join(','),
        })),
      });
    };
    const RANK: Record<string, DeliveryStatus> = {
      sent: DeliveryStatus.SENT,
      delivered: DeliveryStatus.DELIVERED,
      read: DeliveryStatus.READ,
    };
    const ORDER = [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ];
    for (const id of ids) {
      const message = messages.get(id);
      const sentCopies = copies.get(id) ?? [];
      const status = message?.deliveryStatus ?? null;
      if (sentCopies.length > 1) {
        result.duplicates++;
        const afterReport = sentCopies.some((later, k) =>
          sentCopies.slice(0, k).some((earlier) => earlier.firstAckAt !== null && earlier.firstAckAt < later.requestedAt),
        );
        if (afterReport) result.duplicatesAfterReport++;
        else result.duplicatesUnreported++;
        const t0 = sentCopies[0].requestedAt;
        if (result.duplicateSamples.length < 5) {
          result.duplicateSamples.push(
            sentCopies.map((c) => ({
              late: c.late,
              silent: c.silent,
              requestedMs: c.requestedAt - t0,
              reportedMs: c.firstAckAt === null ? null : c.firstAckAt - t0,
            })),
          );
        }
      }
      if (sentCopies.length === 0) {
        if (status === DeliveryStatus.FAILED) result.failedNeverAccepted++;
        else {
          result.lost++;
          problem('lost', message, sentCopies);
        }
        continue;
      }
      const reported = sentCopies.flatMap((c) => c.acked.map((s) => RANK[s]));
      // Meta kept every copy to itself: answered after our timeout (or to a server it had just
      // lost) and never reported. No sender can know; FAILED `uncertain` is the documented outcome.
      const unknowable = reported.length === 0 && sentCopies.every((c) => c.late || cutOff.has(c));
      if (status === DeliveryStatus.FAILED) {
        if (unknowable) {
          result.failedUnknowable++;
          continue;
        }
        result.failedButAccepted++;
        problem('failed but accepted', message, sentCopies);
      }
      if (reported.length === 0) {
        // Accepted, never reported: only our own record of the answer can say SENT.
        if (status !== DeliveryStatus.SENT) {
          result.wrongFinalStatus++;
          problem('accepted, never reported, not SENT', message, sentCopies);
        }
        continue;
      }
      const expected = ORDER[Math.max(...reported.map((s) => ORDER.indexOf(s)))];
      if (status !== expected) {
        result.wrongFinalStatus++;
        problem(`not ${expected}`, message, sentCopies);
      }
    }
    result.seconds = Math.round((Date.now() - started) / 100) / 10;
    return result;
  } finally {
    if (server) await server.kill9();
    if (spare) await spare.discard();
    if (db) await db.orm.close(true);
    await fake.close();
    if (pg) await pg.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
