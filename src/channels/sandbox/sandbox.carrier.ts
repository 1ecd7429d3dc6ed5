import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import type { StoredContent } from '../../modules/message/message-content';
import type { SendFailure, SendResult } from '../channel-adapter';
import { callbackAnswer, nextCallbackState } from './sandbox-callback.rules';
import { SANDBOX_FAILURES, sandboxScenario, type SandboxScenario, type SandboxSettings } from './sandbox.settings';
import { MemorySandboxStore, type CallbackSettlement, type SandboxStore } from './sandbox.store';
import { signSandboxWebhook, STATUS_WIRE, SANDBOX_SIGNATURE_HEADER, type SandboxWireEvent } from './sandbox.wire';

/** Where and how the sandbox calls an inbox back. */
export interface SandboxCallbackTarget {
  /** `<origin>/webhooks/:inboxId` */
  url: string;
  secret: string;
}

/** One send request, as the sandbox adapter hands it over. */
export interface SandboxSendRequest {
  inboxId: string;
  messageId: string;
  to: string;
  content: StoredContent;
  settings: SandboxSettings;
  /** Whether the channel reports READ (the default callbacks end there or at DELIVERED). */
  readReceipts: boolean;
  callback: SandboxCallbackTarget;
  signal: AbortSignal;
}

/** A message the sandbox accepted (once per message id, however often it was sent). */
export interface SandboxAccepted {
  inboxId: string;
  messageId: string;
  channelMessageId: string;
  to: string;
  content: StoredContent;
  acceptedAt: Date;
}

/** One send request as the sandbox saw it, retries and duplicates included. */
export interface SandboxRequestLog {
  inboxId: string;
  messageId: string;
  /** Which request for this message id it was (1 = first). */
  attempt: number;
  outcome: 'accepted' | 'duplicate' | 'failed';
  failure?: SendFailure;
}

/** Where the sandbox calls each inbox back, resolved when a callback is posted (see {@link sandboxCallbackTargets}). */
export type SandboxTargets = (inboxIds: string[]) => Promise<Map<string, SandboxCallbackTarget>>;

/** The simulated network retries of {@link SandboxCarrier.post} (simulated customers' messages). */
const POST_TRIES = 5;
const POST_RETRY_BASE_MS = 25;
/** Callbacks claimed, and POSTed at once, per dispatch round. */
export const SANDBOX_CALLBACK_BATCH = 16;
/** How long one callback POST may take; the claim lease outlasts it so a live claimer never loses its rows. */
const CALLBACK_TIMEOUT_MS = 10_000;
/** A claimed callback stays invisible to other claimers this long; a crashed process's claims come back after it. */
export const SANDBOX_CALLBACK_LEASE_MS = 15_000;
/** Wake up at least this often even when nothing seems due (rows another process wrote). */
const SAFETY_POLL_MS = 30_000;
/** After a database error (e.g. a busy SQLite file), try again this soon. */
const ERROR_RETRY_MS = 1000;

/**
 * How many entries each of the carrier's logs and maps keeps by default. The carrier runs for the
 * life of `npm start`; without a bound a busy sandbox would grow without end. A real provider's
 * idempotency window is bounded too: a message id older than the last `historyLimit` sends is
 * sent as new (without a database; with one, until retention prunes the row).
 */
export const SANDBOX_HISTORY_LIMIT = 10_000;

/** Appends `item` and drops the oldest entries beyond `limit` (the newest `limit` stay, in order). */
function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

/** Sets `key` as the newest entry of `map` and evicts the oldest beyond `limit` (Maps keep insertion order). */
function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value as K);
}

/** The statuses the sandbox reports for an accepted message, in order. */
function callbackStatuses(scenario: SandboxScenario, req: SandboxSendRequest): DeliveryStatus[] {
  if (scenario.kind === 'undeliverable') return [DeliveryStatus.SENT, DeliveryStatus.FAILED];
  return (
    req.settings.statusCallbacks ??
    (req.readReceipts
      ? [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]
      : [DeliveryStatus.SENT, DeliveryStatus.DELIVERED])
  );
}

/**
 * The built-in simulated provider: the "other side" of sandbox inboxes. It accepts messages (or
 * refuses them, per {@link sandboxScenario}), is idempotent by message id, and reports statuses
 * back over real HTTP to `POST /webhooks/:inboxId`, signed in its own wire format, exactly as
 * an external provider would.
 *
 * What it accepted and the callbacks it owes live in a {@link SandboxStore}: the server attaches
 * the database one ({@link attach}), so an acceptance is recorded before the send is answered and
 * a callback owed when the process dies is posted by the next one. Callbacks are claimed with a
 * lease, in batches, and retried with backoff until the server answers.
 *
 * The carrier object itself lives outside any one server on purpose: a test can share one between
 * a server and its restarted successor (its logs span both), as a real provider outlives our process.
 */
export class SandboxCarrier {
  /** Messages accepted, once each: a repeated message id is answered, not sent again. The newest `historyLimit`. */
  readonly accepted: SandboxAccepted[] = [];
  /** Every send request, in arrival order. The newest `historyLimit`. */
  readonly requests: SandboxRequestLog[] = [];
  /** Every callback POST made, with the HTTP status it got (0 when the request itself failed). The newest `historyLimit`. */
  readonly callbacks: { url: string; events: SandboxWireEvent[]; status: number }[] = [];
  /** How many entries each log above and each per-message map keeps (see {@link SANDBOX_HISTORY_LIMIT}). */
  readonly historyLimit: number;
  /**
   * Test hook: runs after a new message is accepted (and recorded) and before the sender hears
   * back, i.e. in the gap where a crash would leave us not knowing the provider already has it.
   */
  afterAccept: ((accepted: SandboxAccepted) => Promise<void>) | null = null;

  private readonly memory: MemorySandboxStore;
  private store: SandboxStore;
  private targets: SandboxTargets;
  /** Targets of sandbox sends seen, for a carrier without a database (see {@link attach}). */
  private readonly seenTargets = new Map<string, SandboxCallbackTarget>();
  private readonly tries = new Map<string, number>();
  private readonly lifetime = new AbortController();
  private readonly random: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly leaseMs: number;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private roundWaiters: (() => void)[] = [];

  constructor(opts: { random?: () => number; fetch?: typeof fetch; historyLimit?: number; leaseMs?: number } = {}) {
    this.random = opts.random ?? Math.random;
    this.fetchImpl = opts.fetch ?? fetch;
    this.historyLimit = Math.max(1, opts.historyLimit ?? SANDBOX_HISTORY_LIMIT);
    this.leaseMs = opts.leaseMs ?? SANDBOX_CALLBACK_LEASE_MS;
    this.memory = new MemorySandboxStore(this.historyLimit);
    this.store = this.memory;
    this.targets = this.rememberedTargets;
  }

  /** The channel message id the sandbox gives a message: derived from its id, so it is stable. */
  static channelMessageIdFor(inboxId: string, messageId: string): string {
    return `sandbox.${createHash('sha256').update(`${inboxId}:${messageId}`).digest('hex').slice(0, 32)}`;
  }

  /**
   * Makes `store` the carrier's memory and starts posting the callbacks it owes, to the targets
   * `targets` resolves. The server attaches its database for its lifetime; a carrier never
   * attached keeps an in-process store.
   */
  attach(store: SandboxStore, targets: SandboxTargets): void {
    this.store = store;
    this.targets = targets;
    this.kick();
  }

  /** Stops posting for the attached store (a round in progress finishes) and falls back to the in-process one. */
  async detach(): Promise<void> {
    const store = this.store;
    this.store = this.memory;
    this.targets = this.rememberedTargets;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.draining;
    if (store !== this.memory) this.releaseWaiters();
  }

  /** Messages accepted for one message id (0 or 1: that is the idempotency promise). */
  acceptedCount(messageId: string): number {
    return this.accepted.filter((a) => a.messageId === messageId).length;
  }

  /** Send requests received for one message id (retries and replays included). */
  requestCount(messageId: string): number {
    return this.requests.filter((r) => r.messageId === messageId).length;
  }

  /** Answers a send request after the configured latency. */
  async send(req: SandboxSendRequest): Promise<SendResult> {
    const key = `${req.inboxId}:${req.messageId}`;
    const attempt = (this.tries.get(key) ?? 0) + 1;
    setBounded(this.tries, key, attempt, this.historyLimit);
    setBounded(this.seenTargets, req.inboxId, req.callback, this.historyLimit);
    const log = (outcome: SandboxRequestLog['outcome'], failure?: SendFailure) =>
      pushBounded(
        this.requests,
        { inboxId: req.inboxId, messageId: req.messageId, attempt, outcome, ...(failure ? { failure } : {}) },
        this.historyLimit,
      );

    await this.wait(req.settings.latencyMs, req.signal);
    const store = this.store;
    const known = await store.findAccepted(req.inboxId, req.messageId);
    if (known) {
      // Accepted before (maybe by a process that crashed before answering): answer, send nothing.
      log('duplicate');
      return { ok: true, channelMessageId: known };
    }

    const scenario = sandboxScenario(req.content);
    const failure = this.refusal(req, scenario, attempt);
    if (failure) {
      log('failed', failure);
      return { ok: false, failure };
    }

    const record: SandboxAccepted = {
      inboxId: req.inboxId,
      messageId: req.messageId,
      channelMessageId: SandboxCarrier.channelMessageIdFor(req.inboxId, req.messageId),
      to: req.to,
      content: req.content,
      acceptedAt: new Date(),
    };
    const created = await store.accept({
      inboxId: record.inboxId,
      messageId: record.messageId,
      channelMessageId: record.channelMessageId,
      recipient: record.to,
      statuses: callbackStatuses(scenario, req),
      intervalMs: req.settings.latencyMs,
      acceptedAt: record.acceptedAt,
    });
    if (!created) {
      // A concurrent request for the same message id was accepted first.
      log('duplicate');
      return { ok: true, channelMessageId: record.channelMessageId };
    }
    pushBounded(this.accepted, record, this.historyLimit);
    log('accepted');
    this.kick();
    if (this.afterAccept) await this.afterAccept(record);
    return { ok: true, channelMessageId: record.channelMessageId };
  }

  /** Plays a customer writing to the inbox: a signed `message` webhook, awaited. */
  async simulateInbound(
    target: SandboxCallbackTarget,
    input: { from: string; text: string; name?: string | null },
  ): Promise<{ status: number; channelMessageId: string; providerEventId: string }> {
    const channelMessageId = `sandbox.in.${randomUUID()}`;
    const event: SandboxWireEvent = {
      id: `sbevt_${randomUUID()}`,
      type: 'message',
      timestamp: new Date().toISOString(),
      from: input.from,
      name: input.name ?? null,
      message: { id: channelMessageId, text: input.text },
    };
    const status = await this.post(target, [event]);
    return { status, channelMessageId, providerEventId: event.id };
  }

  /** Plays a customer reacting to a message (emoji null removes the reaction). */
  async simulateReaction(
    target: SandboxCallbackTarget,
    input: { from: string; channelMessageId: string; emoji: string | null },
  ): Promise<number> {
    return this.post(target, [
      {
        id: `sbevt_${randomUUID()}`,
        type: 'reaction',
        timestamp: new Date().toISOString(),
        from: input.from,
        message_id: input.channelMessageId,
        emoji: input.emoji,
      },
    ]);
  }

  /** POSTs events to a webhook URL, signed, retrying on network errors and 5xx. Returns the last HTTP status (0: unreachable). */
  async post(target: SandboxCallbackTarget, events: SandboxWireEvent[]): Promise<number> {
    let status = 0;
    for (let attempt = 0; attempt < POST_TRIES; attempt++) {
      if (this.lifetime.signal.aborted) break;
      status = await this.postOnce(target, events, this.lifetime.signal);
      if (callbackAnswer(status) !== 'unavailable') break;
      try {
        await this.wait(POST_RETRY_BASE_MS * 2 ** attempt);
      } catch {
        break;
      }
    }
    return status;
  }

  /** Resolves once no callback is owed any more (all posted or given up on), or the carrier is detached or closed. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.lifetime.signal.aborted) return;
      const store = this.store;
      await this.draining;
      if (!(await store.hasPending())) return;
      await new Promise<void>((resolve) => this.roundWaiters.push(resolve));
      if (store !== this.store) return;
    }
  }

  /** Stops every pending callback; the carrier answers nothing after this. */
  close(): void {
    this.lifetime.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.releaseWaiters();
  }

  private refusal(req: SandboxSendRequest, scenario: SandboxScenario, attempt: number): SendFailure | null {
    if (req.settings.failRecipients.includes(req.to)) return { kind: 'rejected', ...SANDBOX_FAILURES.rejected };
    switch (scenario.kind) {
      case 'reject':
        return { kind: scenario.failure, ...SANDBOX_FAILURES[scenario.failure] };
      case 'temporary':
        if (scenario.times === null || attempt <= scenario.times) return { kind: 'temporary', ...SANDBOX_FAILURES.temporary };
        return null;
      case 'accept':
      case 'undeliverable':
        return req.settings.failureRate > 0 && this.random() < req.settings.failureRate
          ? { kind: 'temporary', ...SANDBOX_FAILURES.temporary }
          : null;
    }
  }

  private readonly rememberedTargets: SandboxTargets = async (inboxIds) =>
    new Map(inboxIds.flatMap((id) => (this.seenTargets.has(id) ? [[id, this.seenTargets.get(id)!] as const] : [])));

  /** One signed POST, logged; the HTTP status, or 0 when there was no answer. */
  private async postOnce(target: SandboxCallbackTarget, events: SandboxWireEvent[], signal: AbortSignal): Promise<number> {
    const body = JSON.stringify({ events });
    let status = 0;
    try {
      const res = await this.fetchImpl(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(target.secret, body) },
        body,
        signal,
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    pushBounded(this.callbacks, { url: target.url, events, status }, this.historyLimit);
    return status;
  }

  /** Starts a dispatch round now (or right after the one in progress). */
  private kick(): void {
    if (this.lifetime.signal.aborted) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let failed = false;
    this.draining = this.drain()
      .catch((err) => {
        failed = true;
        console.error('[sandbox] posting status callbacks failed; retrying shortly', err);
      })
      .finally(() => {
        this.draining = null;
        this.releaseWaiters();
        if (this.drainAgain) {
          this.drainAgain = false;
          this.kick();
        } else if (failed) this.wakeIn(ERROR_RETRY_MS);
        else void this.scheduleWake();
      });
  }

  /** Claims due callbacks in batches, posts each batch at once, records the outcomes; until none is due. */
  private async drain(): Promise<void> {
    const store = this.store;
    for (;;) {
      if (this.lifetime.signal.aborted || store !== this.store) return;
      const now = new Date();
      const { token, callbacks } = await store.claim(SANDBOX_CALLBACK_BATCH, now, this.leaseMs);
      if (callbacks.length === 0) return;
      const targets = await this.targets([...new Set(callbacks.map((c) => c.inboxId))]);
      const settlements = await Promise.all(
        callbacks.map(async (c): Promise<CallbackSettlement> => {
          const target = targets.get(c.inboxId);
          const signal = AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]);
          // An inbox that is gone (or left the sandbox) has nobody to call back: give the row up.
          const answer = target
            ? callbackAnswer(await this.postOnce(target, [sandboxStatusEvent(c.channelMessageId, c.status)], signal))
            : 'refused';
          const next = nextCallbackState(answer, c.attempts);
          const at = Date.now();
          if (next.kind === 'retry')
            return { id: c.id, next: { step: c.step, attempts: next.attempts, dueAt: new Date(at + next.delayMs) } };
          if (c.step + 1 >= c.total) return { id: c.id, next: null };
          return { id: c.id, next: { step: c.step + 1, attempts: 0, dueAt: new Date(at + c.intervalMs) } };
        }),
      );
      await store.settle(token, settlements, new Date());
      this.releaseWaiters();
      if (callbacks.length < SANDBOX_CALLBACK_BATCH) return;
    }
  }

  /** Sleeps until the next callback is due (or a lease runs out), at most {@link SAFETY_POLL_MS}. */
  private async scheduleWake(): Promise<void> {
    if (this.lifetime.signal.aborted) return;
    const store = this.store;
    let wakeAt: Date | null = null;
    try {
      wakeAt = await store.nextWakeAt(new Date());
    } catch (err) {
      console.error('[sandbox] reading the next callback time failed', err);
      wakeAt = new Date(Date.now() + ERROR_RETRY_MS);
    }
    if (store !== this.store || this.draining || this.lifetime.signal.aborted) return;
    this.wakeIn(wakeAt ? Math.max(0, Math.min(SAFETY_POLL_MS, wakeAt.getTime() - Date.now())) : SAFETY_POLL_MS);
  }

  private wakeIn(delayMs: number): void {
    if (this.lifetime.signal.aborted) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delayMs);
    // The carrier never holds a process open by itself: the server it serves does.
    this.timer.unref();
  }

  private releaseWaiters(): void {
    const waiters = this.roundWaiters;
    this.roundWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async wait(ms: number, signal?: AbortSignal): Promise<void> {
    const abort = signal ? AbortSignal.any([signal, this.lifetime.signal]) : this.lifetime.signal;
    abort.throwIfAborted();
    if (ms > 0) await delay(ms, undefined, { signal: abort });
  }
}

/**
 * A sandbox status callback event. Its id is derived from message and status, so the same status
 * reported twice is one provider event (deduplicated by the webhook receipts).
 */
export function sandboxStatusEvent(
  channelMessageId: string,
  status: DeliveryStatus,
  opts: { at?: Date; error?: { code: string; message: string }; id?: string } = {},
): SandboxWireEvent {
  const wire = STATUS_WIRE[status];
  if (!wire) throw new RangeError(`the sandbox never reports ${status}`);
  return {
    id: opts.id ?? `sbevt_${channelMessageId}_${wire}`,
    type: 'status',
    timestamp: (opts.at ?? new Date()).toISOString(),
    message_id: channelMessageId,
    status: wire,
    error:
      status === DeliveryStatus.FAILED
        ? (opts.error ?? { code: 'undeliverable', message: 'The handset could not be reached (sandbox).' })
        : null,
  };
}
