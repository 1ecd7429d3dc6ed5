import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import type { StoredContent } from '../../modules/message/message-content';
import type { SendFailure, SendResult } from '../channel-adapter';
import { SANDBOX_FAILURES, sandboxScenario, type SandboxScenario, type SandboxSettings } from './sandbox.settings';
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

interface Seen {
  record: SandboxAccepted;
  scenario: SandboxScenario;
  callbacksScheduled: boolean;
}

/** Callback POSTs are retried like a real provider retries webhooks (a few times, backing off). */
const CALLBACK_TRIES = 5;
const CALLBACK_RETRY_BASE_MS = 25;

/**
 * How many entries each of the carrier's logs and maps keeps by default. The carrier runs for the
 * life of `npm start`; without a bound a busy sandbox would grow without end. A real provider's
 * idempotency window is bounded too: a message id older than the last `historyLimit` sends is
 * sent as new.
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

/**
 * The built-in simulated provider: the "other side" of sandbox inboxes. It accepts messages (or
 * refuses them, per {@link sandboxScenario}), is idempotent by message id, and reports statuses
 * back over real HTTP to `POST /webhooks/:inboxId`, signed in its own wire format, exactly as
 * an external provider would.
 *
 * It lives outside any one server on purpose: a test can share one carrier between a server and
 * its restarted successor, as a real provider outlives our process.
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
   * Test hook: runs after a new message is accepted and before the sender hears back, i.e. in
   * the gap where a crash would leave us not knowing the provider already has the message.
   */
  afterAccept: ((accepted: SandboxAccepted) => Promise<void>) | null = null;

  private readonly seen = new Map<string, Seen>();
  private readonly tries = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly lifetime = new AbortController();
  private readonly random: () => number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: { random?: () => number; fetch?: typeof fetch; historyLimit?: number } = {}) {
    this.random = opts.random ?? Math.random;
    this.fetchImpl = opts.fetch ?? fetch;
    this.historyLimit = Math.max(1, opts.historyLimit ?? SANDBOX_HISTORY_LIMIT);
  }

  /** The channel message id the sandbox gives a message: derived from its id, so it is stable. */
  static channelMessageIdFor(inboxId: string, messageId: string): string {
    return `sandbox.${createHash('sha256').update(`${inboxId}:${messageId}`).digest('hex').slice(0, 32)}`;
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
    const log = (outcome: SandboxRequestLog['outcome'], failure?: SendFailure) =>
      pushBounded(
        this.requests,
        { inboxId: req.inboxId, messageId: req.messageId, attempt, outcome, ...(failure ? { failure } : {}) },
        this.historyLimit,
      );

    await this.wait(req.settings.latencyMs, req.signal);
    const known = this.seen.get(key);
    if (known) {
      log('duplicate');
      // The first request's answer may never have reached its sender (it crashed): report now.
      if (!known.callbacksScheduled) this.scheduleCallbacks(known, req);
      return { ok: true, channelMessageId: known.record.channelMessageId };
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
    const entry: Seen = { record, scenario, callbacksScheduled: false };
    setBounded(this.seen, key, entry, this.historyLimit);
    pushBounded(this.accepted, record, this.historyLimit);
    log('accepted');
    if (this.afterAccept) await this.afterAccept(record);
    if (!entry.callbacksScheduled) this.scheduleCallbacks(entry, req);
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
    const body = JSON.stringify({ events });
    let status = 0;
    for (let attempt = 0; attempt < CALLBACK_TRIES; attempt++) {
      if (this.lifetime.signal.aborted) break;
      try {
        const res = await this.fetchImpl(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(target.secret, body) },
          body,
          signal: this.lifetime.signal,
        });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        status = 0;
      }
      if (status !== 0 && status < 500) break;
      try {
        await this.wait(CALLBACK_RETRY_BASE_MS * 2 ** attempt);
      } catch {
        break;
      }
    }
    pushBounded(this.callbacks, { url: target.url, events, status }, this.historyLimit);
    return status;
  }

  /** Resolves once every scheduled callback has been posted (or given up on). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops every pending callback; the carrier answers nothing after this. */
  close(): void {
    this.lifetime.abort();
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

  /** Reports the message's progress, one status at a time, each after the configured latency. */
  private scheduleCallbacks(entry: Seen, req: SandboxSendRequest): void {
    entry.callbacksScheduled = true;
    const statuses =
      entry.scenario.kind === 'undeliverable'
        ? [DeliveryStatus.SENT, DeliveryStatus.FAILED]
        : (req.settings.statusCallbacks ??
          (req.readReceipts
            ? [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]
            : [DeliveryStatus.SENT, DeliveryStatus.DELIVERED]));
    if (statuses.length === 0) return;
    const { channelMessageId } = entry.record;
    const latencyMs = req.settings.latencyMs;
    const target = req.callback;
    const run = (async () => {
      for (const status of statuses) {
        await this.wait(latencyMs);
        await this.post(target, [sandboxStatusEvent(channelMessageId, status)]);
      }
    })().catch(() => undefined);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
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
