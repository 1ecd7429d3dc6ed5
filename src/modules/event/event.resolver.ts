import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription, type PubSub as TypeGraphQLPubSub } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { Actor } from '../actor/actor.interface';
import { Scope } from '../auth/scopes';
import type { Viewer } from '../auth/viewer';
import { Contact } from '../contact/contact.entity';
import { Conversation } from '../conversation/conversation.entity';
import { loadConversation } from '../conversation/conversation.resolver';
import { DeliveryStatus } from '../message/delivery-status';
import { Message } from '../message/message.entity';
import { DeliveryFailureType } from '../message/message.types';
import { SenderType } from '../message/sender-type';
import { Reaction } from '../reaction/reaction.entity';
import { User } from '../user/user.entity';
import { windowFor } from '../window/window.service';
import { WindowActorKind, WindowType } from '../window/window.types';
import { decodeEventCursor } from './event-cursor';
import { payloadString } from './event-payloads';
import { openEventStream, type EventStreamScope, type LiveEvent, type ViewerSource } from './event-stream';
import { EventType } from './event-type';
import {
  ConversationUpdatedEvent,
  InboxEvent,
  MessageAddedEvent,
  MessageStatusChangedEvent,
  ReactionChangedEvent,
  toInboxEvent,
  WindowChangedEvent,
} from './event.types';

/**
 * type-graphql refuses to build a schema with subscriptions unless it is given a PubSub, even when
 * every subscription brings its own `subscribe`. This one has no state and refuses topic-based use,
 * so events only ever flow through AppDeps.pubsub.
 */
export const SUBSCRIBE_ONLY_PUBSUB: TypeGraphQLPubSub = {
  publish: () => {
    throw new Error('Publish through AppDeps.pubsub (publishEvents), not the schema.');
  },
  subscribe: () => {
    throw new Error('Subscriptions declare `subscribe:`; topic-based @Subscription is not supported.');
  },
};

const CONVERSATION_TYPES = [
  EventType.CONVERSATION_CREATED,
  EventType.CONVERSATION_ASSIGNED,
  EventType.CONVERSATION_READ,
  EventType.CONVERSATION_CLOSED,
  EventType.CONVERSATION_REOPENED,
] as const;

/** A viewer source for contexts without a websocket connection (nothing to re-authenticate against). */
function fixedViewer(viewer: Viewer): ViewerSource {
  return { refresh: async () => viewer, viewerAt: async () => viewer };
}

interface StreamArgs {
  after?: string | null;
  inboxId?: string | null;
  conversationId?: string | null;
}

/**
 * Shared subscribe step: parses and authorises the arguments (NOT_FOUND for what the viewer cannot
 * see, as for queries), then opens the event stream. Runs once per subscription.
 */
async function subscribeEvents(ctx: AppContext, args: StreamArgs, types: readonly EventType[] | null): Promise<AsyncIterable<LiveEvent>> {
  const { viewer, loaders } = auth(ctx);
  if (args.conversationId && args.inboxId) throw Errors.field('inboxId', 'give conversationId or inboxId, not both.');
  const after = args.after == null ? null : decodeEventCursor('after', args.after);
  const scope: EventStreamScope = { types };
  if (args.conversationId) {
    const conversation = await loadConversation(ctx, 'conversationId', args.conversationId);
    scope.conversation = { id: conversation.id, inboxId: conversation.inboxId };
  }
  if (args.inboxId) {
    const inbox = await loaders.inbox.load(parseId('inboxId', args.inboxId, 'inbox'));
    if (!inbox) throw Errors.notFound('Inbox', args.inboxId);
    scope.inboxId = inbox.id;
  }
  return openEventStream(ctx, viewer, ctx.live ?? fixedViewer(viewer), scope, after);
}

@Resolver()
export class EventResolver {
  @RequireScopes(Scope.CONVERSATION_READ)
  @Subscription(() => InboxEvent, {
    description:
      'Everything that happens in the inboxes you can see (or in one inbox), in log order. Pass the `cursor` of the last event you processed as `after` to resume: what you missed is replayed, then the stream goes live, with nothing skipped or repeated. A cursor that is too old yields ResyncRequiredEvent first.',
    subscribe: ({ args, context }) => subscribeEvents(context as AppContext, args as StreamArgs, null),
  })
  inboxEvents(
    @Root() live: LiveEvent,
    @Arg('after', () => String, { nullable: true, description: 'Resume after this event cursor; omit to start live.' })
    _after: string | null,
    @Arg('inboxId', () => ID, { nullable: true, description: 'Only this inbox.' }) _inboxId: string | null,
  ): InboxEvent {
    return toInboxEvent(live);
  }

  @RequireScopes(Scope.CONVERSATION_READ)
  @Subscription(() => MessageAddedEvent, {
    description:
      'New messages (sent, received, notes) in one conversation, one inbox, or everything you can see. Live only; use inboxEvents to resume.',
    subscribe: ({ args, context }) => subscribeEvents(context as AppContext, args as StreamArgs, [EventType.MESSAGE_ADDED]),
  })
  messageAdded(
    @Root() live: LiveEvent,
    @Arg('conversationId', () => ID, { nullable: true, description: 'Only this conversation (not together with `inboxId`).' })
    _conversationId: string | null,
    @Arg('inboxId', () => ID, { nullable: true, description: 'Only this inbox; omit both to get every conversation you can see.' })
    _inboxId: string | null,
  ): InboxEvent {
    return toInboxEvent(live);
  }

  @RequireScopes(Scope.CONVERSATION_READ)
  @Subscription(() => MessageStatusChangedEvent, {
    description: 'Delivery progress of outbound messages in one conversation, one inbox, or everything you can see. Live only.',
    subscribe: ({ args, context }) => subscribeEvents(context as AppContext, args as StreamArgs, [EventType.MESSAGE_STATUS_CHANGED]),
  })
  messageStatusChanged(
    @Root() live: LiveEvent,
    @Arg('conversationId', () => ID, { nullable: true, description: 'Only this conversation (not together with `inboxId`).' })
    _conversationId: string | null,
    @Arg('inboxId', () => ID, { nullable: true, description: 'Only this inbox; omit both to get every conversation you can see.' })
    _inboxId: string | null,
  ): InboxEvent {
    return toInboxEvent(live);
  }

  @RequireScopes(Scope.CONVERSATION_READ)
  @Subscription(() => ConversationUpdatedEvent, {
    description: 'Conversations created, assigned, read, closed or reopened, in one inbox or everything you can see. Live only.',
    subscribe: ({ args, context }) => subscribeEvents(context as AppContext, args as StreamArgs, CONVERSATION_TYPES),
  })
  conversationUpdated(
    @Root() live: LiveEvent,
    @Arg('inboxId', () => ID, { nullable: true, description: 'Only this inbox; omit it to get every conversation you can see.' })
    _inboxId: string | null,
  ): InboxEvent {
    return toInboxEvent(live);
  }

  @RequireScopes(Scope.CONVERSATION_READ)
  @Subscription(() => ReactionChangedEvent, {
    description: 'Reactions set, replaced or removed on the messages of one conversation. Live only.',
    subscribe: ({ args, context }) => subscribeEvents(context as AppContext, args as StreamArgs, [EventType.REACTION_CHANGED]),
  })
  reactionChanged(
    @Root() live: LiveEvent,
    @Arg('conversationId', () => ID, { description: 'The conversation whose messages to watch.' }) _conversationId: string,
  ): InboxEvent {
    return toInboxEvent(live);
  }
}

/** A visible message by id, or NOT_FOUND (it was deleted, or you lost sight of it). */
async function eventMessage(ctx: AppContext, id: string | null): Promise<Message> {
  const message = id ? await auth(ctx).loaders.message.load(id) : null;
  if (!message) throw Errors.notFound('Message', id ?? '(none)');
  return message;
}

async function eventConversation(ctx: AppContext, id: string | null): Promise<Conversation> {
  const conversation = id ? await auth(ctx).loaders.conversation.load(id) : null;
  if (!conversation) throw Errors.notFound('Conversation', id ?? '(none)');
  return conversation;
}

@Resolver(() => InboxEvent)
export class InboxEventResolver {
  @FieldResolver(() => Actor, { nullable: true, description: 'The teammate or customer who did it; null for the system.' })
  actor(@Root() e: InboxEvent, @Ctx() ctx: AppContext): Promise<User | Contact | null> | null {
    const event = e.source.event;
    if (!event?.actorId) return null;
    const { loaders } = auth(ctx);
    return event.actorType === SenderType.CUSTOMER ? loaders.contact.load(event.actorId) : loaders.user.load(event.actorId);
  }
}

@Resolver(() => MessageAddedEvent)
export class MessageAddedEventResolver {
  @FieldResolver(() => Message, { description: 'The message that was added, as it is now (its delivery status may have moved on).' })
  message(@Root() e: MessageAddedEvent, @Ctx() ctx: AppContext): Promise<Message> {
    return eventMessage(ctx, e.messageId);
  }
}

@Resolver(() => MessageStatusChangedEvent)
export class MessageStatusChangedEventResolver {
  @FieldResolver(() => Message, { description: 'The message as it is now (it may have moved on since).' })
  message(@Root() e: MessageStatusChangedEvent, @Ctx() ctx: AppContext): Promise<Message> {
    return eventMessage(ctx, e.messageId);
  }

  @FieldResolver(() => DeliveryStatus, { description: 'The status the message moved to.' })
  async to(@Root() e: MessageStatusChangedEvent, @Ctx() ctx: AppContext): Promise<DeliveryStatus> {
    const recorded = payloadString(e.source.event!.payload, 'to') as DeliveryStatus | null;
    return recorded ?? (await eventMessage(ctx, e.messageId)).deliveryStatus ?? DeliveryStatus.PENDING;
  }

  @FieldResolver(() => DeliveryFailureType, { nullable: true, description: 'Why delivery failed, when `to` is FAILED.' })
  async failure(@Root() e: MessageStatusChangedEvent, @Ctx() ctx: AppContext): Promise<DeliveryFailureType | null> {
    const payload = e.source.event!.payload;
    const code = payloadString(payload, 'failureCode');
    if (code) return { code, reason: payloadString(payload, 'failureReason') ?? code };
    if ((await this.to(e, ctx)) !== DeliveryStatus.FAILED) return null;
    const message = await eventMessage(ctx, e.messageId);
    return message.failureCode ? { code: message.failureCode, reason: message.failureReason ?? message.failureCode } : null;
  }
}

@Resolver(() => ReactionChangedEvent)
export class ReactionChangedEventResolver {
  @FieldResolver(() => Message, { description: 'The message the reaction is on, with its reactions as they are now.' })
  message(@Root() e: ReactionChangedEvent, @Ctx() ctx: AppContext): Promise<Message> {
    return eventMessage(ctx, e.messageId);
  }

  @FieldResolver(() => Reaction, { nullable: true, description: 'The reaction now in place; null when removed (or replaced since).' })
  reaction(@Root() e: ReactionChangedEvent, @Ctx() ctx: AppContext): Promise<Reaction | null> | null {
    return e.removed || !e.reactionId ? null : auth(ctx).loaders.reaction.load(e.reactionId);
  }
}

@Resolver(() => ConversationUpdatedEvent)
export class ConversationUpdatedEventResolver {
  @FieldResolver(() => Conversation, { description: 'The conversation as it is now.' })
  conversation(@Root() e: ConversationUpdatedEvent, @Ctx() ctx: AppContext): Promise<Conversation> {
    return eventConversation(ctx, e.conversationId);
  }
}

@Resolver(() => WindowChangedEvent)
export class WindowChangedEventResolver {
  @FieldResolver(() => Conversation, { description: 'The conversation whose window changed, as it is now.' })
  conversation(@Root() e: WindowChangedEvent, @Ctx() ctx: AppContext): Promise<Conversation> {
    return eventConversation(ctx, e.conversationId);
  }

  @FieldResolver(() => WindowType, { description: 'The window as of this event, for you (or the given actor).' })
  async window(
    @Root() e: WindowChangedEvent,
    @Ctx() ctx: AppContext,
    @Arg('as', () => WindowActorKind, { nullable: true, description: 'Evaluate for this actor instead of yourself.' })
    as: WindowActorKind | null,
  ): Promise<WindowType> {
    const { viewer, loaders } = auth(ctx);
    const conversation = await eventConversation(ctx, e.conversationId);
    const inbox = (await loaders.inbox.load(conversation.inboxId))!;
    const actor = as ?? (viewer.user.bot ? WindowActorKind.BOT : WindowActorKind.USER);
    const asOfEvent = { ...conversation, lastInboundAt: e.lastInboundAt ?? conversation.lastInboundAt } as Conversation;
    return { ...windowFor(asOfEvent, inbox, actor, e.occurredAt), actor };
  }
}

/** Every resolver class of this module, for the schema's RESOLVERS list. */
export const EVENT_RESOLVERS = [
  EventResolver,
  InboxEventResolver,
  MessageAddedEventResolver,
  MessageStatusChangedEventResolver,
  ReactionChangedEventResolver,
  ConversationUpdatedEventResolver,
  WindowChangedEventResolver,
] as const;
