import { LockMode } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { AppDeps } from '../../graphql/context';
import { AppError, ErrorCode, Errors } from '../../lib/errors';
import type { Viewer } from '../auth/viewer';
import { channelRules } from '../channel/channel-rules';
import type { Conversation } from '../conversation/conversation.entity';
import type { DomainEvent } from '../event/event.entity';
import { EventType } from '../event/event-type';
import { publishEvents } from '../event/event.publisher';
import { appendEvent } from '../event/event.service';
import { Message } from '../message/message.entity';
import { emojiProblem } from './emoji';
import { recordReactionDelivery } from './reaction-delivery';
import { Reaction } from './reaction.entity';

/** What a reaction call left behind. */
export interface ReactionChange {
  message: Message;
  /** The viewer's reaction as it now stands; null when they have none (removed, or never had one). */
  reaction: Reaction | null;
  /** Appended in the call's transaction and published once it committed. Empty for a no-op. */
  events: DomainEvent[];
}

/**
 * Sets or removes the viewer's reaction on `message` (of `conversation`); an idempotent setter.
 *
 * - One reaction per actor per message: a different emoji replaces the old one (a new Reaction row,
 *   so its id and `createdAt` are those of the emoji now shown), as on WhatsApp.
 * - Reacting with the emoji already there, or removing an emoji the viewer has not reacted with
 *   (including when they reacted with another one, which stays), is a successful no-op.
 * - `emoji` must be exactly one emoji (BAD_USER_INPUT naming `emoji`); the channel must support
 *   reactions (UNSUPPORTED_CONTENT, e.g. SMS). Visibility of the message is the caller's check.
 *
 * Records REACTION_CHANGED with `{ reactionId, emoji, removed, previousEmoji }` when something
 * changed, and publishes it after commit. On a customer message of an inbox whose provider takes
 * reactions, the change is also owed to the provider (recorded in the same transaction, delivered
 * after commit by reaction-delivery.ts).
 */
export async function reactToMessage(
  deps: Pick<AppDeps, 'pubsub'> & Partial<Pick<AppDeps, 'channels' | 'reactionDelivery'>>,
  em: SqlEntityManager,
  viewer: Viewer,
  message: Message,
  conversation: Conversation,
  emoji: string,
  removed: boolean,
): Promise<ReactionChange> {
  const problem = emojiProblem(emoji);
  if (problem) throw Errors.field('emoji', problem);
  if (!channelRules(conversation.channel).capabilities.reactions) {
    throw new AppError(ErrorCode.UNSUPPORTED_CONTENT, `Reactions are not supported on ${conversation.channel} conversations.`, {
      channel: conversation.channel,
    });
  }
  const actor = { messageId: message.id, actorType: viewer.senderType, actorId: viewer.userId };
  const change = await em.transactional(async (tx): Promise<ReactionChange> => {
    // Reactions to one message are decided one at a time (the message row lock on PostgreSQL,
    // a single writer on SQLite), so the read below is the state the write replaces.
    await tx.findOneOrFail(Message, { id: message.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const existing = await tx.findOne(Reaction, actor, { refresh: true });
    const previousEmoji = existing?.emoji ?? null;

    if (removed ? existing?.emoji !== emoji : existing?.emoji === emoji) {
      return { message, reaction: existing, events: [] };
    }
    if (existing) {
      tx.remove(existing);
      // The replacement reuses the (message, actor) unique key: the old row must be gone first.
      await tx.flush();
    }
    const reaction = removed
      ? null
      : tx.create(Reaction, { ...actor, tenantId: message.tenantId, conversationId: message.conversationId, emoji, createdAt: new Date() });
    const event = await appendEvent(tx, {
      tenantId: message.tenantId,
      type: EventType.REACTION_CHANGED,
      inboxId: message.inboxId,
      conversationId: message.conversationId,
      messageId: message.id,
      actorType: viewer.senderType,
      actorId: viewer.userId,
      payload: { reactionId: (reaction ?? existing)!.id, emoji, removed, previousEmoji },
    });
    if (deps.channels) await recordReactionDelivery(tx, deps.channels, message, viewer.userId, removed ? null : emoji);
    return { message, reaction, events: [event] };
  });
  await publishEvents(deps.pubsub, change.events);
  if (change.events.length > 0) deps.reactionDelivery?.wake();
  return change;
}
