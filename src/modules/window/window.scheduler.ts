import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Database } from '../../db/orm';
import { fallbackLogger, type Logger } from '../../observability/logger';
import type { PubSub } from '../../pubsub/pubsub';
import { Topics } from '../../pubsub/pubsub';
import { ALL_CHANNEL_KINDS } from '../channel/channel-kind';
import { CHANNEL_RULES } from '../channel/channel-rules';
import { Conversation } from '../conversation/conversation.entity';
import { tenantIds } from '../event/event-log.service';
import { MOVES_LAST_INBOUND, type WindowShutPayload } from '../event/event-payloads';
import { EventType } from '../event/event-type';
import { DomainEvent } from '../event/event.entity';
import { publishEvents } from '../event/event.publisher';
import { appendEvent, type EventMessage } from '../event/event.service';
import { Inbox } from '../inbox/inbox.entity';
import { SenderType } from '../message/sender-type';
import { ALL_WINDOW_ACTORS, evaluateWindow, nextWindowChange, type WindowActor, type WindowPolicy } from './window.rules';

/** Time as the scheduler sees it; injectable so tests need not wait real hours. */
export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const SYSTEM_CLOCK: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** How far ahead the scheduler holds changes, and how many; both come from Config. */
export interface WindowSchedulerOptions {
  /** Only changes due within this many ms are held; a periodic scan (every horizon/2) picks up the rest. */
  horizonMs: number;
  /** Most changes held at once; beyond it the latest are left for a later scan. */
  maxScheduled: number;
  clock?: SchedulerClock;
}

/** setTimeout cannot wait longer than this (2^31 - 1 ms). */
const MAX_DELAY_MS = 2_147_483_647;

function policyOf(inbox: Inbox): WindowPolicy {
  return { hours: inbox.windowHours ?? undefined, humanAgentHours: inbox.humanAgentWindowHours ?? undefined };
}

/**
 * Instants after `from` at which a conversation's window decision changes for some actor, without a
 * new customer message, as told by the window rules (nextWindowChange), in ascending order.
 */
function changesAfter(
  channel: Conversation['channel'],
  lastInboundAt: Date,
  policy: WindowPolicy,
  from: number,
  actors: readonly WindowActor[] = ALL_WINDOW_ACTORS,
): number[] {
  const instants = new Set<number>();
  for (const actor of actors) {
    let now = from;
    for (;;) {
      const next = nextWindowChange({ channel, actor, lastInboundAt, now: new Date(now), policy });
      if (!next) break;
      instants.add(next.getTime());
      now = next.getTime();
    }
  }
  return [...instants].sort((a, b) => a - b);
}

/** Who a change at `at` concerns: actors whose window stage ends then, and those of them who lose free-form sending. */
function shutAt(conversation: Conversation, inbox: Inbox, at: number): { actors: WindowActor[]; closedFor: WindowActor[] } {
  const input = (actor: WindowActor, now: number) => ({
    channel: conversation.channel,
    actor,
    lastInboundAt: conversation.lastInboundAt,
    now: new Date(now),
    policy: policyOf(inbox),
  });
  const actors = ALL_WINDOW_ACTORS.filter((actor) => nextWindowChange(input(actor, at - 1))?.getTime() === at);
  const closedFor = actors.filter((actor) => evaluateWindow(input(actor, at - 1)).canSend && !evaluateWindow(input(actor, at)).canSend);
  return { actors, closedFor };
}

interface Entry {
  conversationId: string;
  at: number;
}

/**
 * Appends WINDOW_SHUT when a conversation's customer-service window (or a stage of it, like the
 * standard window inside Meta's human-agent extension) ends, so subscribers can lock the composer
 * without polling. One instance per server, owned by AppDeps.
 *
 * - One timer for the whole process: pending changes sit in a bounded, sorted queue (maxScheduled)
 *   and only those due within `horizonMs` are held at all.
 * - Survives restarts: `start()` scans the database for windows changing within the horizon (and
 *   those that changed within the last horizon, e.g. while the server was down), and rescans every
 *   horizon/2.
 * - Reacts to new customer messages: it listens to every tenant's events and re-reads a
 *   conversation when an event may have moved its lastInboundAt.
 * - Idempotent: the event is appended only if the window really changed at that instant for the
 *   conversation's current lastInboundAt (a later customer message cancels it) and no WINDOW_SHUT
 *   with the same causation id exists; the check runs under the tenant's log lock, so several
 *   servers firing the same change append it once.
 */
export class WindowScheduler {
  private readonly queue: Entry[] = [];
  private readonly keys = new Set<string>();
  private timer: unknown = null;
  private timerAt = Infinity;
  private scanTimer: NodeJS.Timeout | null = null;
  private readonly listeners = new Map<string, AsyncIterator<EventMessage>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly listening = new Set<Promise<unknown>>();
  private running = false;
  private readonly clock: SchedulerClock;

  constructor(
    private readonly deps: { db: Database; pubsub: PubSub; logger?: Logger },
    private readonly options: WindowSchedulerOptions,
  ) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** Background failures are reported, never thrown at a timer. */
  private logError(err: unknown): void {
    (this.deps.logger ?? fallbackLogger('window-scheduler')).error({ err, component: 'window-scheduler' }, 'window scheduler failed');
  }

  /** Number of pending window changes held. */
  get size(): number {
    return this.queue.length;
  }

  /** The pending changes, earliest first (for tests and diagnostics). */
  pending(): ReadonlyArray<Readonly<Entry>> {
    return this.queue;
  }

  /** Scans the database, starts listening for customer messages, and rescans every horizon/2. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.scan();
    const every = Math.min(MAX_DELAY_MS, Math.max(1000, Math.floor(this.options.horizonMs / 2)));
    this.scanTimer = setInterval(() => void this.background(() => this.scan()), every);
    this.scanTimer.unref();
  }

  /** Stops timers and listeners and waits for work in progress (call before the database closes). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = null;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(listeners.map((it) => it.return?.()));
    await Promise.allSettled([...this.listening]);
    await this.settled();
  }

  /** Resolves once no scan, firing or rescheduling is in progress. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Re-reads a conversation and schedules its next window change if it falls within the horizon.
   * Returns that instant (scheduled or not), or null when nothing will change on its own.
   */
  async reschedule(conversationId: string): Promise<Date | null> {
    const em = this.deps.db.em.fork();
    const conversation = await em.findOne(Conversation, { id: conversationId });
    if (!conversation?.lastInboundAt) return null;
    const inbox = await em.findOne(Inbox, { id: conversation.inboxId });
    if (!inbox) return null;
    const now = this.clock.now();
    const next = changesAfter(conversation.channel, conversation.lastInboundAt, policyOf(inbox), now)[0];
    if (next === undefined) return null;
    if (next <= now + this.options.horizonMs) this.schedule(conversationId, next);
    return new Date(next);
  }

  /**
   * Appends (and publishes) WINDOW_SHUT for the change at `at` if it is real and not yet recorded;
   * returns the event, or null when there was nothing to do.
   */
  async shutIfDue(conversationId: string, at: Date): Promise<DomainEvent | null> {
    const em = this.deps.db.em.fork() as SqlEntityManager;
    const events = await em.transactional(async (tx) => {
      if (this.clock.now() < at.getTime()) return [];
      const conversation = await tx.findOne(Conversation, { id: conversationId });
      if (!conversation?.lastInboundAt) return [];
      const inbox = await tx.findOne(Inbox, { id: conversation.inboxId });
      if (!inbox) return [];
      const { actors, closedFor } = shutAt(conversation, inbox, at.getTime());
      if (!actors.length) return [];
      const causationId = `window:${conversation.id}:${at.toISOString()}`;
      const recorded = { tenantId: conversation.tenantId, conversationId, type: EventType.WINDOW_SHUT, causationId };
      if (await tx.count(DomainEvent, recorded)) return [];
      // Look again under the tenant's log lock, so a concurrent firing (another server) waits and then sees ours.
      const knex = tx.getKnex();
      await tx.execute(
        knex('tenant')
          .where({ id: conversation.tenantId })
          .update({ event_seq: knex.ref('event_seq') }),
        [],
        'run',
      );
      if (await tx.count(DomainEvent, recorded)) return [];
      const payload: WindowShutPayload = {
        lastInboundAt: conversation.lastInboundAt.toISOString(),
        shutAt: at.toISOString(),
        actors,
        closedFor,
      };
      return [
        await appendEvent(tx, {
          tenantId: conversation.tenantId,
          type: EventType.WINDOW_SHUT,
          inboxId: conversation.inboxId,
          conversationId,
          actorType: SenderType.SYSTEM,
          causationId,
          payload: { ...payload },
        }),
      ];
    });
    await publishEvents(this.deps.pubsub, events);
    return events[0] ?? null;
  }

  /** Runs async work so that stop() can wait for it; errors are logged, never thrown at a timer. */
  private background(work: () => Promise<unknown>): Promise<void> {
    const p = work()
      .catch((err) => this.logError(err))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p as Promise<void>;
  }

  /** Schedules every window change due within the horizon (or passed within the last horizon) from the database. */
  async scan(): Promise<void> {
    if (!this.running) return;
    const em = this.deps.db.em.fork();
    for (const tenantId of await tenantIds(em)) this.listen(tenantId);
    const now = this.clock.now();
    const from = now - this.options.horizonMs;
    const until = now + this.options.horizonMs;
    const windowed = ALL_CHANNEL_KINDS.filter((kind) => CHANNEL_RULES[kind].window.kind !== 'none');
    const inboxes = await em.find(Inbox, { channel: { $in: windowed } });
    for (const inbox of inboxes) {
      const policy = policyOf(inbox);
      // Every stage length of this inbox, from the rules themselves (0 = the customer message).
      const offsets = changesAfter(inbox.channel, new Date(0), policy, 0);
      for (const offset of offsets) {
        const conversations = await em.find(
          Conversation,
          { inboxId: inbox.id, lastInboundAt: { $gt: new Date(from - offset), $lte: new Date(until - offset) } },
          { fields: ['id', 'channel', 'lastInboundAt', 'inboxId'] },
        );
        for (const c of conversations) {
          for (const at of changesAfter(c.channel, c.lastInboundAt!, policy, from)) {
            if (at <= until) this.schedule(c.id, at);
          }
        }
      }
      em.clear();
    }
  }

  private listen(tenantId: string): void {
    if (!this.running || this.listeners.has(tenantId)) return;
    const it = this.deps.pubsub.subscribe<EventMessage>(Topics.tenant(tenantId));
    this.listeners.set(tenantId, it);
    const loop = (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const e = r.value;
        const movesInbound = MOVES_LAST_INBOUND.has(e.type) && (e.type !== EventType.MESSAGE_ADDED || e.actorType === SenderType.CUSTOMER);
        if (movesInbound && e.conversationId) void this.background(() => this.reschedule(e.conversationId!));
      }
    })()
      .catch((err) => this.logError(err))
      .finally(() => this.listening.delete(loop));
    this.listening.add(loop);
  }

  private schedule(conversationId: string, at: number): void {
    if (!this.running) return;
    const key = `${conversationId}@${at}`;
    if (this.keys.has(key)) return;
    if (this.queue.length >= this.options.maxScheduled) {
      const last = this.queue[this.queue.length - 1];
      if (last.at <= at) return; // full of earlier changes: a later scan brings this one back
      this.queue.pop();
      this.keys.delete(`${last.conversationId}@${last.at}`);
    }
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid].at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, { conversationId, at });
    this.keys.add(key);
    this.arm();
  }

  /** Points the one timer at the earliest pending change. */
  private arm(): void {
    const first = this.queue[0];
    if (!this.running || !first || first.at >= this.timerAt) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerAt = first.at;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        void this.background(() => this.fire());
      },
      Math.min(MAX_DELAY_MS, Math.max(0, first.at - this.clock.now())),
    );
  }

  private async fire(): Promise<void> {
    const now = this.clock.now();
    while (this.running && this.queue.length && this.queue[0].at <= now) {
      const entry = this.queue.shift()!;
      this.keys.delete(`${entry.conversationId}@${entry.at}`);
      try {
        await this.shutIfDue(entry.conversationId, new Date(entry.at));
        await this.reschedule(entry.conversationId);
      } catch (err) {
        this.logError(err);
      }
    }
    this.arm();
  }
}
