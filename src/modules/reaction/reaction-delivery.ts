import { EventEmitter } from 'node:events';
import type { EntityManager } from '@mikro-orm/core';
import type { AdapterRegistry } from '../../channels/adapter-registry';
import type { SendResult } from '../../channels/channel-adapter';
import type { DeliveryConfig } from '../../config';
import type { Database } from '../../db/orm';
import { fallbackLogger, type Logger } from '../../observability/logger';
import { Conversation } from '../conversation/conversation.entity';
import { retryDelay } from '../delivery/backoff';
import { Inbox } from '../inbox/inbox.entity';
import { Message } from '../message/message.entity';
import { MessageDirection } from '../message/sender-type';
import { Reaction } from './reaction.entity';
import { ReactionOutbox } from './reaction-outbox.entity';

/** How long one sendReaction call may take before it counts as a temporary failure. */
const SEND_TIMEOUT_MS = 30_000;

/** Rows claimed per round. */
const BATCH = 20;

/**
 * Records, in the caller's transaction, that a teammate's reaction on `message` (or its removal when
 * `emoji` is null) is owed to the provider. Only customer messages the provider knows (inbound, with
 * a channel message id) of inboxes whose adapter has `sendReaction` qualify; returns whether one was
 * recorded. A wish still pending for the same message and actor is replaced, so only the latest goes.
 */
export async function recordReactionDelivery(
  tx: EntityManager,
  channels: AdapterRegistry,
  message: Message,
  actorId: string,
  emoji: string | null,
): Promise<boolean> {
  if (message.direction !== MessageDirection.INBOUND || !message.channelMessageId) return false;
  const inbox = await tx.findOne(Inbox, { id: message.inboxId });
  if (!inbox || !channels.has(inbox.provider)) return false;
  try {
    if (!channels.forInbox(inbox).sendReaction) return false;
  } catch {
    // A misconfigured inbox cannot carry it either; the reaction stays ours.
    return false;
  }
  const now = new Date();
  const pending = await tx.findOne(ReactionOutbox, { messageId: message.id, actorId });
  if (pending) {
    Object.assign(pending, { emoji, version: pending.version + 1, attempts: 0, nextAttemptAt: now, lastError: null, failedAt: null });
  } else {
    tx.create(ReactionOutbox, {
      messageId: message.id,
      actorId,
      tenantId: message.tenantId,
      inboxId: inbox.id,
      emoji,
      version: 1,
      attempts: 0,
      nextAttemptAt: now,
    });
  }
  return true;
}

/** A reaction's delivery came to an end: delivered (`error` null) or given up on. */
export interface ReactionSettled {
  messageId: string;
  actorId: string;
  emoji: string | null;
  error: string | null;
}

/** What the deliverer needs. */
export interface ReactionDeliveryDeps {
  db: Database;
  channels: AdapterRegistry;
  /** The message outbox's attempts, backoff, lease and poll: a reaction is retried like a message. */
  config: Pick<DeliveryConfig, 'maxAttempts' | 'baseBackoffMs' | 'maxBackoffMs' | 'leaseMs' | 'pollMs'>;
  logger?: Logger;
}

/**
 * Hands owed reactions to their providers, after the commit that recorded them ({@link wake}) and
 * on a poll that also picks up what a crashed process left. Rows are claimed by bumping `attempts`
 * (a conditional update, so two servers never send the same row at once) and pushing
 * `nextAttemptAt` past a lease. Temporary failures back off like messages; a refusal or the last
 * attempt marks the row failed and the Reaction's `deliveryError`, and is logged.
 */
export class ReactionDelivery {
  /** Emits `settled` with {@link ReactionSettled} after each attempt whose outcome is final (delivered or failed). */
  readonly events = new EventEmitter();
  private running = false;
  private pass: Promise<void> | null = null;
  private again = false;
  private poll: NodeJS.Timeout | null = null;
  private due: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: ReactionDeliveryDeps) {
    this.log = deps.logger ?? fallbackLogger('reaction-delivery');
  }

  /** Starts delivering, beginning with whatever is already owed (a previous process's leftovers). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.poll = setInterval(() => this.wake(), this.deps.config.pollMs);
    this.poll.unref();
    this.wake();
  }

  /** Delivers what is due now (call after committing a reaction). */
  wake(): void {
    if (!this.running) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.drain()
      .catch((err: unknown) => this.log.error({ err }, 'reaction delivery round failed'))
      .finally(() => {
        this.pass = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops; waits for the round in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.poll) clearInterval(this.poll);
    if (this.due) clearTimeout(this.due);
    this.poll = this.due = null;
    await this.pass;
  }

  private settle(outcome: ReactionSettled): void {
    this.events.emit('settled', outcome);
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (!this.running) return;
      const em = this.deps.db.em.fork();
      const rows = await em.find(
        ReactionOutbox,
        { failedAt: null, nextAttemptAt: { $lte: new Date() } },
        { orderBy: { nextAttemptAt: 'asc' }, limit: BATCH },
      );
      if (rows.length === 0) break;
      await Promise.all(rows.map((row) => this.deliver(row)));
    }
    const next = await this.deps.db.em.fork().findOne(ReactionOutbox, { failedAt: null }, { orderBy: { nextAttemptAt: 'asc' } });
    if (next && this.running) {
      if (this.due) clearTimeout(this.due);
      this.due = setTimeout(() => this.wake(), Math.max(0, Math.min(next.nextAttemptAt.getTime() - Date.now(), this.deps.config.pollMs)));
      this.due.unref();
    }
  }

  private async deliver(row: ReactionOutbox): Promise<void> {
    const em = this.deps.db.em.fork();
    const key = { messageId: row.messageId, actorId: row.actorId };
    const attempt = row.attempts + 1;
    const claimed = await em.nativeUpdate(
      ReactionOutbox,
      { ...key, version: row.version, attempts: row.attempts },
      { attempts: attempt, nextAttemptAt: new Date(Date.now() + this.deps.config.leaseMs) },
    );
    if (claimed !== 1) return;
    const mine = { ...key, version: row.version };

    const message = await em.findOne(Message, { id: row.messageId });
    const inbox = await em.findOne(Inbox, { id: row.inboxId });
    const conversation = message ? await em.findOne(Conversation, { id: message.conversationId }) : null;
    if (!message?.channelMessageId || !inbox || !conversation) {
      await em.nativeDelete(ReactionOutbox, mine);
      return;
    }
    let result: SendResult;
    try {
      const adapter = this.deps.channels.forInbox(inbox);
      if (!adapter.sendReaction) {
        await em.nativeDelete(ReactionOutbox, mine);
        return;
      }
      result = await adapter.sendReaction(
        { to: conversation.externalId, channelMessageId: message.channelMessageId, emoji: row.emoji },
        AbortSignal.timeout(SEND_TIMEOUT_MS),
      );
    } catch (err) {
      result = { ok: false, failure: { kind: 'temporary', code: 'error', reason: err instanceof Error ? err.message : String(err) } };
    }
    if (result.ok) {
      // Zero rows when a newer wish replaced this one meanwhile: that one is due and goes next.
      await em.nativeDelete(ReactionOutbox, mine);
      this.settle({ ...key, emoji: row.emoji, error: null });
      return;
    }
    const { failure } = result;
    const reason = `${failure.reason} (${failure.code})`;
    if (failure.kind === 'temporary' && attempt < this.deps.config.maxAttempts) {
      const delay = retryDelay(
        attempt,
        { baseMs: this.deps.config.baseBackoffMs, maxMs: this.deps.config.maxBackoffMs },
        failure.retryAfterMs,
      );
      await em.nativeUpdate(ReactionOutbox, mine, { nextAttemptAt: new Date(Date.now() + delay), lastError: reason });
      return;
    }
    const failed = await em.nativeUpdate(ReactionOutbox, mine, { failedAt: new Date(), lastError: reason });
    if (failed === 1 && row.emoji !== null) {
      await em.nativeUpdate(
        Reaction,
        { messageId: row.messageId, actorId: row.actorId, emoji: row.emoji },
        { deliveryError: failure.reason },
      );
    }
    this.settle({ ...key, emoji: row.emoji, error: failure.reason });
    this.log.warn(
      { messageId: row.messageId, actorId: row.actorId, inboxId: row.inboxId, code: failure.code, attempts: attempt },
      `a reaction did not reach the provider: ${failure.reason}`,
    );
  }
}
