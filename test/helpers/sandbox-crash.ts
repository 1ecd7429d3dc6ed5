import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../../src/config';
import { initDatabase } from '../../src/db/orm';
import { issueToken } from '../../src/modules/auth/token.service';
import { DomainEvent } from '../../src/modules/event/event.entity';
import { EventType } from '../../src/modules/event/event-type';
import { Inbox } from '../../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { Message } from '../../src/modules/message/message.entity';
import { seedDemo } from '../../src/seed/demo';
import { DeliverySendTextDocument } from '../generated/graphql';
import { startChildServer, type ChildServer } from './child-server';
import { GqlClient } from './client';
import { createTestDatabaseUrl } from './postgres';

/** What one crash run came to, per message sent. */
export interface SandboxCrashReport {
  messages: number;
  kills: number;
  /** Messages that never reached their channel's final status (READ on WhatsApp, DELIVERED on SMS). */
  stuck: number;
  /** Stuck messages by the status they were left at. */
  stuckAt: Partial<Record<DeliveryStatus, number>>;
  /** Status changes recorded more than once for the same message and target status. */
  duplicateChanges: number;
  /** Messages whose recorded history ever moved backwards. */
  backwards: number;
  /** Messages that were not past PENDING at each kill, i.e. how much was in flight (for the report). */
  inFlightAtKill: number[];
  /** Milliseconds from the last restart until every message was final (or the deadline). */
  settleMs: number;
}

const RANK: Record<DeliveryStatus, number> = {
  [DeliveryStatus.PENDING]: 0,
  [DeliveryStatus.SENT]: 1,
  [DeliveryStatus.DELIVERED]: 2,
  [DeliveryStatus.READ]: 3,
  [DeliveryStatus.FAILED]: 4,
};

/**
 * Sends `messages` sandbox messages (alternating a WhatsApp and an SMS conversation of the demo
 * workspace) through a server in its own process, `kill -9`s it `kills` times while status
 * callbacks are still pending, restarting it on the same database each time, then waits up to
 * `settleTimeoutMs` for every message to reach its final status and counts what did not.
 *
 * Waiting is by polling the database: the server is another process, and the point is to observe
 * what it committed, across its deaths.
 */
export async function runSandboxCrash(opts: {
  messages: number;
  kills: number;
  latencyMs: number;
  dialect?: 'sqlite' | 'postgres';
  settleTimeoutMs?: number;
}): Promise<SandboxCrashReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-crash-'));
  const pg = opts.dialect === 'postgres' ? await createTestDatabaseUrl() : null;
  const databaseUrl = pg ? pg.url : `file:${path.join(dir, 'crash.db')}`;
  const config = loadConfig({}, { databaseUrl, dataDir: dir });
  const db = await initDatabase(config);
  let child: ChildServer | null = null;
  try {
    const demo = await seedDemo(db.em.fork());
    {
      const em = db.em.fork();
      for (const id of [demo.whatsapp.id, demo.sms.id]) {
        (await em.findOneOrFail(Inbox, id)).providerConfig = { latencyMs: opts.latencyMs };
      }
      await em.flush();
    }
    const token = (await issueToken(db.em.fork(), { tenantId: demo.tenant.id, userId: demo.owner.id, name: 'crash' })).token;
    const whatsapp = demo.conversations.find((c) => c.name === 'Anna Kowalska')!;
    const sms = demo.conversations.find((c) => c.name === 'George Brown')!;
    const env = {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dir,
      SEED_DEMO: 'false',
      // A crashed worker's sends come back after the lease; short, so the run does not wait a minute.
      DELIVERY_LEASE_MS: '1500',
      DELIVERY_POLL_MS: '500',
      EVENT_PRUNE_INTERVAL_MS: '0',
      // No SANDBOX_WEBHOOK_SECRET: each process signs with its own random secret, as `npm start` does.
    };
    const start = async () => {
      child = await startChildServer(env);
      return child;
    };

    let server = await start();
    const client = () => new GqlClient(server.url, token);
    const sent: { id: string; final: DeliveryStatus }[] = [];
    for (let i = 0; i < opts.messages; i += 10) {
      const batch = Array.from({ length: Math.min(10, opts.messages - i) }, (_, k) => i + k);
      const results = await Promise.all(
        batch.map(async (n) => {
          const conversation = n % 2 === 0 ? whatsapp : sms;
          const res = await client().data(DeliverySendTextDocument, { conversationId: conversation.id, body: `Crash test ${n}` });
          return { id: res.sendMessage.message.id, final: n % 2 === 0 ? DeliveryStatus.READ : DeliveryStatus.DELIVERED };
        }),
      );
      sent.push(...results);
    }
    const ids = sent.map((m) => m.id);
    const finalOf = new Map(sent.map((m) => [m.id, m.final]));
    const statuses = async () => {
      const rows = await db.em.fork().find(Message, { id: { $in: ids } }, { fields: ['id', 'deliveryStatus'] });
      return new Map(rows.map((m) => [m.id, m.deliveryStatus ?? undefined]));
    };
    const isFinal = (id: string, status: DeliveryStatus | undefined) => status === finalOf.get(id) || status === DeliveryStatus.FAILED;

    const inFlightAtKill: number[] = [];
    for (let k = 1; k <= opts.kills; k++) {
      // Kill once k/(kills+1) of the messages have started reporting, while others still have callbacks due.
      const threshold = Math.ceil((opts.messages * k) / (opts.kills + 1));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const now = await statuses();
        const started = ids.filter((id) => (now.get(id) ?? DeliveryStatus.PENDING) !== DeliveryStatus.PENDING).length;
        const unfinished = ids.filter((id) => !isFinal(id, now.get(id))).length;
        if ((started >= threshold && unfinished > 0) || Date.now() > deadline) {
          inFlightAtKill.push(unfinished);
          break;
        }
        await delay(20);
      }
      await server.kill9();
      server = await start();
    }

    const restartedAt = Date.now();
    const settleDeadline = restartedAt + (opts.settleTimeoutMs ?? 60_000);
    let last = await statuses();
    while (ids.some((id) => !isFinal(id, last.get(id))) && Date.now() < settleDeadline) {
      await delay(50);
      last = await statuses();
    }
    const settleMs = Date.now() - restartedAt;
    await server.stop();
    child = null;

    const stuckAt: Partial<Record<DeliveryStatus, number>> = {};
    for (const id of ids) {
      const status = last.get(id) ?? DeliveryStatus.PENDING;
      if (!isFinal(id, status)) stuckAt[status] = (stuckAt[status] ?? 0) + 1;
    }
    const events = await db.em
      .fork()
      .find(DomainEvent, { messageId: { $in: ids }, type: EventType.MESSAGE_STATUS_CHANGED }, { orderBy: { seq: 'asc' } });
    let duplicateChanges = 0;
    const backwardsIds = new Set<string>();
    const seen = new Map<string, DeliveryStatus[]>();
    for (const e of events) {
      const to = (e.payload as { to: DeliveryStatus }).to;
      const history = seen.get(e.messageId!) ?? [];
      if (history.includes(to)) duplicateChanges++;
      if (history.length && RANK[to] < RANK[history.at(-1)!]) backwardsIds.add(e.messageId!);
      history.push(to);
      seen.set(e.messageId!, history);
    }
    return {
      messages: opts.messages,
      kills: opts.kills,
      stuck: Object.values(stuckAt).reduce((a, b) => a + b, 0),
      stuckAt,
      duplicateChanges,
      backwards: backwardsIds.size,
      inFlightAtKill,
      settleMs,
    };
  } finally {
    await (child as ChildServer | null)?.kill9();
    await db.orm.close(true);
    if (pg) await pg.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
