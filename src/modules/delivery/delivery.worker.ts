import type { EntityManager } from '@mikro-orm/core';
import { UnknownProviderError, type AdapterRegistry } from '../../channels/adapter-registry';
import type { MessageThread, SendFailure, SendResult, SenderRateLimits } from '../../channels/channel-adapter';
import type { DeliveryConfig } from '../../config';
import type { Database } from '../../db/orm';
import { fallbackLogger } from '../../observability/logger';
import type { PubSub } from '../../pubsub/pubsub';
import { Conversation } from '../conversation/conversation.entity';
import type { DomainEvent } from '../event/event.entity';
import { publishEvents } from '../event/event.publisher';
import { Inbox } from '../inbox/inbox.entity';
import { DeliveryStatus } from '../message/delivery-status';
import { Message } from '../message/message.entity';
import { MessageDirection, SenderType } from '../message/sender-type';
import { windowFor } from '../window/window.service';
import { WindowActorKind } from '../window/window.types';
import { retryDelay } from './backoff';
import type { DeliveryJob, DeliveryQueue } from './delivery-queue';
import { attemptInRun } from './delivery-runs';
import { OutboxEntry, OutboxState } from './outbox-entry.entity';
import { lockChannelMessage, lockedRead } from './delivery.locks';
import { applyPendingStatuses, applyStatusChange } from './status.service';
import { sendBlocker } from './send-gate';
import {
  DEFAULT_RATE_LIMIT_PAUSE_MS,
  pauseSender as pauseSenderSchedule,
  recipientFreeAt,
  recipientKey,
  reserveSlot,
  senderKey,
  senderPausedUntil,
  sendLimits,
} from './send-throttle';
import { ARCHIVED_SEND_FAILURE } from '../inbox/inbox-archive';
import { isOptedOut, OPTED_OUT_FAILURE_CODE, recordOptOut } from '../contact/contact-opt-out';

/** What the worker is built with. */
export interface DeliveryWorkerDeps {
  db: Database;
  pubsub: PubSub;
  config: DeliveryConfig;
  adapters: AdapterRegistry;
  queue: DeliveryQueue;
  /** Jitter source for backoff (tests pin it). */
  random?: () => number;
  /** Where unexpected errors go. */
  log?: (message: string, err?: unknown) => void;
  /**
   * Awaited once an attempt has read everything it sends and is about to ask the provider (before
   * its last check). Tests hold a send here to let a status report race it.
   */
  beforeSend?: (job: DeliveryJob) => Promise<void>;
}

/** What one attempt came to, before it is recorded. */
type Attempt =
  | { kind: 'sent'; channelMessageId: string }
  /**
   * `final`: fail now whatever the attempt budget says. `pauseMs`: the adapter's pause after a
   * rate-limit answer without Retry-After.
   */
  | { kind: 'failed'; failure: SendFailure; final?: boolean; pauseMs?: number }
  /**
   * Not sent: the throughput limits have no slot before `until`. `held`: the slot is reserved for
   * this entry (it sends then without reserving again); otherwise it only waits until then.
   */
  | { kind: 'deferred'; until: Date; held: boolean }
  /** The provider (which has no idempotency key) may have accepted it: wait for its report. */
  | { kind: 'uncertain'; failure: SendFailure; startedAt: Date }
  /** The message no longer needs sending (already on its way, failed, or gone). */
  | { kind: 'skip'; reason: string };

/** Resolves when every promise has settled or `ms` have passed, whichever comes first. */
async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Ceiling on how often the loop re-checks when something is due but could not be claimed. */
const MIN_IDLE_MS = 10;

/**
 * Hands PENDING outbound messages to their inbox's provider, one outbox entry at a time.
 *
 * - Work comes from a {@link DeliveryQueue} (leases, so a crashed worker's entries come back once
 *   their lease expires); {@link notify} wakes the worker right after a send commits, and a slow
 *   poll is the safety net.
 * - Transient failures are retried with full-jitter exponential backoff (honouring the provider's
 *   Retry-After) up to `maxAttempts`, then the message is FAILED with the last code and reason;
 *   permanent failures fail at once.
 * - No message is sent twice: where the provider has an idempotency key (the message id), a resend
 *   after a crash between the provider accepting and our commit is answered, not delivered again.
 *   Where it has none (`idempotentSends` false, e.g. WhatsApp Cloud), an attempt whose outcome is
 *   unknown (timeout, lost answer, 5xx, crash) is uncertain: it is not sent again until the
 *   provider has had `uncertainSettleMs` to report it, and a status carrying our message id settles
 *   it as sent (status.service.ts). An uncertain last attempt ends FAILED with code `uncertain`,
 *   which a later report still turns into SENT, DELIVERED or READ.
 * - The outcome, the message status, parked early callbacks and the events commit in one
 *   transaction, fenced by the claim's attempt number; events are published after commit.
 */
export class DeliveryWorker {
  private running = false;
  /** False while a graceful stop lets the sends in flight finish: nothing new is claimed. */
  private claiming = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private woken = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly committing = new Set<Promise<unknown>>();
  private abort = new AbortController();
  private readonly log: (message: string, err?: unknown) => void;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    const fallback = fallbackLogger('delivery');
    this.log = deps.log ?? ((message, err) => fallback.error({ err }, message));
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.claiming = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /** There may be new work: look now rather than at the next poll. Cheap; call after every committed send. */
  notify(): void {
    this.woken = true;
    this.wake?.();
  }

  /**
   * Stops claiming, aborts sends in flight and waits for outcomes already being committed. A send
   * that was still with the provider is abandoned without a trace in the database: its lease runs
   * out and a worker sends it again (a provider with an idempotency key answers a repeated message
   * id without delivering it twice; for one without, the queue first waits the settle window).
   *
   * @param graceMs - Graceful stop (SIGTERM): claim nothing more, but give the sends already with a
   *   provider this long to finish and commit before the rest are aborted. 0 aborts at once.
   */
  async stop(graceMs = 0): Promise<void> {
    if (!this.running) return;
    this.claiming = false;
    this.notify();
    await this.loop;
    // A graceful stop (SIGTERM): sends already with a provider get `graceMs` to finish and commit.
    if (graceMs > 0 && this.inFlight.size > 0) await settledWithin([...this.inFlight.values()], graceMs);
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.notify();
    await this.loop;
    while (this.committing.size) await Promise.allSettled([...this.committing]);
  }

  /** Sends in flight right now (tests and metrics). */
  get busy(): number {
    return this.inFlight.size;
  }

  private async run(): Promise<void> {
    const { config, queue } = this.deps;
    while (this.running && this.claiming) {
      this.woken = false;
      let idleMs = config.pollMs;
      try {
        const free = config.concurrency - this.inFlight.size;
        if (free > 0) {
          const jobs = await queue.claim(free);
          for (const job of jobs) this.begin(job);
          // A full batch suggests more is due: claim again straight away.
          if (jobs.length === free) continue;
          const due = await queue.nextDueAt();
          if (due) idleMs = Math.min(config.pollMs, Math.max(MIN_IDLE_MS, due.getTime() - Date.now()));
        }
      } catch (err) {
        if (this.running) this.log('claiming failed; retrying at the next poll', err);
      }
      if (!this.running || !this.claiming) break;
      if (!this.woken) await this.idle(idleMs);
    }
  }

  /** Waits until woken (notify, a finished job) or `ms` pass. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private begin(job: DeliveryJob): void {
    if (this.inFlight.has(job.outboxId)) return;
    const run = this.process(job)
      .catch((err) => this.log(`delivering ${job.messageId} failed unexpectedly; its lease will bring it back`, err))
      .finally(() => {
        this.inFlight.delete(job.outboxId);
        this.notify();
      });
    this.inFlight.set(job.outboxId, run);
  }

  private async process(job: DeliveryJob): Promise<void> {
    const attempt = await this.attempt(job);
    // Stopped while the provider had the message: record nothing (see stop()).
    if (!this.running) return;
    const commit = this.record(job, attempt);
    this.committing.add(commit);
    try {
      const events = await commit;
      await publishEvents(this.deps.pubsub, events);
    } finally {
      this.committing.delete(commit);
    }
  }

  /** Loads what the send needs and asks the provider. Never touches the outbox row. */
  private async attempt(job: DeliveryJob): Promise<Attempt> {
    const em = this.deps.db.em.fork();
    const message = await em.findOne(Message, { id: job.messageId, tenantId: job.tenantId });
    if (!message) return { kind: 'skip', reason: 'the message no longer exists' };
    if (message.deliveryStatus !== DeliveryStatus.PENDING)
      return { kind: 'skip', reason: `the message is already ${message.deliveryStatus}` };
    const inbox = await em.findOne(Inbox, { id: message.inboxId, tenantId: message.tenantId });
    const conversation = await em.findOne(Conversation, { id: message.conversationId, tenantId: message.tenantId });
    if (!inbox || !conversation) return { kind: 'skip', reason: 'the inbox or conversation no longer exists' };
    // Archived after the send was accepted: fail it clearly rather than send from an inbox that is gone.
    if (inbox.archivedAt) return { kind: 'failed', failure: { ...ARCHIVED_SEND_FAILURE } };

    // Retries can outlast the customer-service window; a provider would refuse anyway.
    const actor = message.senderType === SenderType.BOT ? WindowActorKind.BOT : WindowActorKind.USER;
    const window = windowFor(conversation, inbox, actor);
    if (!window.allowedContent.includes(message.contentKind)) {
      return {
        kind: 'failed',
        failure: {
          kind: 'window_closed',
          code: 'window_closed',
          reason: `The customer-service window is shut (${window.reason}); only templates can be sent.`,
        },
      };
    }

    // Opted out after the send was accepted (a STOP crossed it): the provider would refuse, or worse, deliver.
    if (await isOptedOut(em, message.tenantId, conversation.contactId, conversation.channel)) {
      return {
        kind: 'failed',
        failure: { kind: 'rejected', code: OPTED_OUT_FAILURE_CODE, reason: 'The customer opted out of this channel (replied STOP).' },
      };
    }

    let adapter;
    try {
      adapter = this.deps.adapters.forInbox(inbox);
    } catch (err) {
      const reason = err instanceof UnknownProviderError || err instanceof Error ? err.message : String(err);
      return { kind: 'failed', failure: { kind: 'unsupported', code: 'provider_unavailable', reason } };
    }
    const { maxAttempts } = this.deps.config;
    if (job.afterUncertain && !adapter.idempotentSends && attemptInRun(job.tries - 1, maxAttempts) === maxAttempts) {
      // The run's last attempt went unanswered and unreported: give up without sending a copy.
      // FAILED `uncertain` is not final for evidence: a late report still moves it on.
      return {
        kind: 'failed',
        final: true,
        failure: {
          kind: 'temporary',
          code: 'uncertain',
          reason: `No answer from ${inbox.provider} and no status report within the settle window; it may still arrive.`,
        },
      };
    }
    const slot = await this.throughputSlot(job, inbox, adapter.rateLimits, conversation.externalId);
    if (slot) return { kind: 'deferred', ...slot };
    const replyTo = message.replyToId ? await em.findOne(Message, { id: message.replyToId, tenantId: message.tenantId }) : null;
    const thread = adapter.wantsThread ? await threadFor(em, conversation, replyTo) : undefined;
    await this.deps.beforeSend?.(job);
    if (!adapter.idempotentSends && job.attempt > 1) {
      // An earlier attempt may have reached the provider, and its report may have settled the
      // message since we read it: look again under the report's locks, as late as possible.
      const blocker = await this.confirmClaim(job);
      if (blocker) return { kind: 'skip', reason: `not sent again: ${blocker}` };
    }

    // A send must end well inside the lease, or another worker would claim it while it runs.
    const startedAt = new Date();
    const timeout = AbortSignal.timeout(Math.max(1, Math.floor(this.deps.config.leaseMs / 2)));
    const signal = AbortSignal.any([this.abort.signal, timeout]);
    let result: SendResult;
    try {
      result = await Promise.race([
        adapter.send(
          { id: message.id, content: message.content, replyToChannelMessageId: replyTo?.channelMessageId ?? null },
          {
            to: conversation.externalId,
            idempotencyKey: message.id,
            attempt: job.tries,
            signal,
            lastInboundAt: conversation.lastInboundAt,
            thread,
          },
        ),
        abandonOn(signal),
      ]);
    } catch (err) {
      if (this.abort.signal.aborted) return { kind: 'skip', reason: 'the worker stopped' };
      const timedOut = timeout.aborted;
      if (!timedOut) this.log(`the ${inbox.provider} adapter threw while sending ${message.id}`, err);
      // Either way the request may have reached the provider.
      const failure: SendFailure = timedOut
        ? { kind: 'temporary', uncertain: true, code: 'timeout', reason: 'The provider did not answer in time.' }
        : { kind: 'temporary', uncertain: true, code: 'adapter_error', reason: err instanceof Error ? err.message : String(err) };
      return adapter.idempotentSends ? { kind: 'failed', failure } : { kind: 'uncertain', failure, startedAt };
    }
    if (result.ok) return { kind: 'sent', channelMessageId: result.channelMessageId };
    return result.failure.uncertain && !adapter.idempotentSends
      ? { kind: 'uncertain', failure: result.failure, startedAt }
      : { kind: 'failed', failure: result.failure, pauseMs: adapter.rateLimits?.rateLimitPauseMs };
  }

  /**
   * Reserves this send's place in its sender's (and recipient's) throughput schedule, shared with
   * every worker on the database; returns when the slot is still ahead (the entry then goes back
   * until then), or null when it may go now. Unlimited senders (the sandbox unless its inbox sets
   * `sendsPerSecond`) only look whether a rate-limit answer paused them.
   *
   * A recipient limit is looked at first without reserving: while that customer has no slot yet
   * the entry just waits, and the sender's schedule is untouched. Reserving the sender's slot at
   * the recipient's later time would move the whole sender's schedule there, so every other
   * customer would wait for this one's pair limit. Only one entry per conversation is leased at a
   * time, so the look and the reservation rarely race; when they do (two conversations to one
   * address), the sender's slot follows the recipient's as before: slower, never over a limit.
   */
  private async throughputSlot(
    job: DeliveryJob,
    inbox: Inbox,
    declared: SenderRateLimits | undefined,
    to: string,
  ): Promise<{ until: Date; held: boolean } | null> {
    const limits = sendLimits(declared, inbox.sendsPerSecond);
    const now = Date.now();
    const { db } = this.deps;
    if (limits.senderIntervalMs === null && limits.recipientIntervalMs === null) {
      // Unlimited, but a provider's rate-limit answer still pauses the sender (one primary-key read).
      // Not skippable from what this process knows: another worker's pause pushes only the entries
      // waiting then, not sends queued later; skipping it would need the pause on the inbox row.
      const pausedUntil = await senderPausedUntil(db.em.fork(), senderKey(inbox.id));
      return pausedUntil > now ? { until: new Date(pausedUntil), held: false } : null;
    }
    // Deferred before: its slot was reserved then and has come. A slot that came and went more
    // than an interval ago (the worker was busy, or the machine starved) is not used: sends woken
    // late would all go at once and arrive as a burst. It books a fresh one instead.
    const interval = limits.senderIntervalMs ?? limits.recipientIntervalMs ?? 0;
    if (job.reservedSlotAt && job.reservedSlotAt.getTime() <= now && now - job.reservedSlotAt.getTime() <= interval) return null;
    if (limits.recipientIntervalMs !== null) {
      const free = await recipientFreeAt(db.em.fork(), recipientKey(inbox.id, to), limits.recipientIntervalMs, limits.recipientBurst);
      if (free > now) return { until: new Date(free), held: false };
    }
    const slot = await db.em.fork().transactional(async (tx: EntityManager) => {
      let earliest = now;
      if (limits.recipientIntervalMs !== null) {
        earliest = await reserveSlot(
          tx,
          db.dialect,
          recipientKey(inbox.id, to),
          earliest,
          limits.recipientIntervalMs,
          limits.recipientBurst,
        );
      }
      if (limits.senderIntervalMs !== null)
        earliest = await reserveSlot(tx, db.dialect, senderKey(inbox.id), earliest, limits.senderIntervalMs);
      return earliest;
    });
    return slot > now ? { until: new Date(slot), held: true } : null;
  }

  /**
   * {@link sendBlocker} under the locks a status report takes (message, then entry), renewing the
   * lease when the claim still holds: the send that follows gets its full window, so the queue does
   * not take it for a crashed attempt while the request is out.
   */
  private confirmClaim(job: DeliveryJob): Promise<string | null> {
    return this.deps.db.em.fork().transactional(async (tx: EntityManager) => {
      const message = await tx.findOne(Message, { id: job.messageId }, lockedRead<Message>(tx));
      const entry = await tx.findOne(OutboxEntry, { id: job.outboxId }, lockedRead<OutboxEntry>(tx));
      const blocker = sendBlocker(message, entry, job.attempt);
      if (!blocker && entry) {
        entry.lockedUntil = new Date(Date.now() + this.deps.config.leaseMs);
        entry.updatedAt = new Date();
      }
      return blocker;
    });
  }

  /** Records an attempt's outcome in one transaction; nothing when the claim was taken over. */
  private record(job: DeliveryJob, attempt: Attempt): Promise<DomainEvent[]> {
    const { config } = this.deps;
    return this.deps.db.em.fork().transactional(async (tx: EntityManager) => {
      const now = new Date();
      // Message first, then the entry: the order a status callback that settles a send locks them in.
      const message = await tx.findOne(Message, { id: job.messageId }, lockedRead<Message>(tx));
      const entry = await tx.findOne(OutboxEntry, { id: job.outboxId }, lockedRead<OutboxEntry>(tx));
      // Fencing: our lease ran out and someone else claimed the entry (their outcome wins), or a
      // status callback closed it.
      if (!entry || entry.state !== OutboxState.PENDING || entry.attempts !== job.attempt) return [];
      entry.lockedUntil = null;
      entry.updatedAt = now;
      entry.throttleSlotAt = null;
      if (attempt.kind === 'deferred') {
        // Not an attempt: back in the queue until its reserved slot, still first in its conversation.
        entry.deferrals += 1;
        entry.nextAttemptAt = attempt.until;
        entry.throttleSlotAt = attempt.held ? attempt.until : null;
        return [];
      }
      entry.uncertainSince = null;
      if (attempt.kind === 'skip') {
        entry.state = OutboxState.DONE;
        entry.lastError = attempt.reason;
        return [];
      }
      if (!message || message.deliveryStatus !== DeliveryStatus.PENDING) {
        entry.state = OutboxState.DONE;
        return [];
      }
      const cause = `${job.outboxId}#${job.attempt}`;
      const events: DomainEvent[] = [];

      if (attempt.kind === 'sent') {
        await lockChannelMessage(tx, message.inboxId, attempt.channelMessageId);
        message.channelMessageId ??= attempt.channelMessageId;
        const sent = await applyStatusChange(tx, message, { status: DeliveryStatus.SENT, at: now, causationId: cause });
        if (sent) events.push(sent);
        events.push(...(await applyPendingStatuses(tx, message)));
        entry.state = OutboxState.DONE;
        entry.lastError = null;
        return events;
      }

      const { failure } = attempt;
      entry.lastError = `${failure.code}: ${failure.reason}`;
      if (attempt.kind === 'uncertain') {
        // Not failed, not retried yet: a status carrying our id settles it before this comes due.
        entry.lastError = `uncertain: ${entry.lastError}`;
        entry.uncertainSince = attempt.startedAt;
        entry.nextAttemptAt = new Date(now.getTime() + Math.max(config.uncertainSettleMs, failure.retryAfterMs ?? 0));
        return events;
      }
      // Judged within its run: an explicit retry (retryMessage) starts a new run with a fresh budget.
      const tries = attemptInRun(job.tries, config.maxAttempts);
      const retryAfterMs = failure.rateLimited
        ? await this.pauseSender(tx, job, now, failure.retryAfterMs ?? attempt.pauseMs)
        : failure.retryAfterMs;
      if (failure.kind === 'temporary' && !attempt.final && tries < config.maxAttempts) {
        const policy = { baseMs: config.baseBackoffMs, maxMs: config.maxBackoffMs };
        entry.nextAttemptAt = new Date(now.getTime() + retryDelay(tries, policy, retryAfterMs, this.deps.random));
        return events;
      }
      const failed = await applyStatusChange(tx, message, {
        status: DeliveryStatus.FAILED,
        at: now,
        failure: { code: failure.code, reason: failure.reason },
        causationId: cause,
      });
      if (failed) events.push(failed);
      entry.state = OutboxState.FAILED;
      // The provider says the customer unsubscribed (Twilio 21610): later sends are refused up front.
      if (failure.code === OPTED_OUT_FAILURE_CODE) {
        const conversation = await tx.findOne(Conversation, { id: message.conversationId, tenantId: message.tenantId });
        if (conversation) await recordOptOut(tx, message.tenantId, conversation.channel, conversation.externalId, now);
      }
      return events;
    });
  }

  /**
   * A provider's rate-limit answer throttles the sender, not the message: no send of the inbox
   * gets a slot before the pause ends, and its entries already due (or holding an earlier slot)
   * wait until then too. Returns the pause, which the message itself waits as well.
   */
  private async pauseSender(tx: EntityManager, job: DeliveryJob, now: Date, pauseMs: number | undefined): Promise<number> {
    const ms = pauseMs !== undefined && pauseMs > 0 ? pauseMs : DEFAULT_RATE_LIMIT_PAUSE_MS;
    const until = new Date(now.getTime() + ms);
    await pauseSenderSchedule(tx, this.deps.db.dialect, senderKey(job.inboxId), until.getTime());
    await tx.nativeUpdate(
      OutboxEntry,
      { inboxId: job.inboxId, state: OutboxState.PENDING, lockedUntil: null, nextAttemptAt: { $lt: until } },
      { nextAttemptAt: until, throttleSlotAt: null, updatedAt: now },
    );
    return ms;
  }
}

/** Rejects when the signal aborts, so an adapter that ignores its signal cannot hold a job forever. */
function abandonOn(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The thread a message carries in its content (inbound email), or null. */
function threadOf(message: Pick<Message, 'content'> | null): MessageThread | null {
  const content = message?.content as { thread?: MessageThread | null } | undefined;
  return content?.thread ?? null;
}

/**
 * The thread a reply joins: the answered message's, else the conversation's latest customer
 * message's (one query, only for adapters that want it).
 */
async function threadFor(em: EntityManager, conversation: Conversation, replyTo: Message | null): Promise<MessageThread | null> {
  const answered = threadOf(replyTo);
  if (answered) return answered;
  const latest = await em.findOne(
    Message,
    { conversationId: conversation.id, tenantId: conversation.tenantId, direction: MessageDirection.INBOUND },
    { orderBy: { createdAt: 'desc', id: 'desc' }, fields: ['id', 'content'] },
  );
  return threadOf(latest);
}
