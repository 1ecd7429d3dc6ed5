import { Field, ID, InterfaceType, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import { DeliveryStatus } from '../message/delivery-status';
import { SenderType } from '../message/sender-type';
import { encodeEventCursor } from './event-cursor';
import { CursorProblem } from './event-log.service';
import { payloadString } from './event-payloads';
import type { LiveEvent } from './event-stream';
import { EventType } from './event-type';

/**
 * What an InboxEvent reports: the log's event types plus RESYNC_REQUIRED, which is never stored.
 * Derived from EventType so a new log event is reported without a second list to keep in step.
 */
export const InboxEventType = { ...EventType, RESYNC_REQUIRED: 'resync.required' } as const;
export type InboxEventType = (typeof InboxEventType)[keyof typeof InboxEventType];

registerEnumType(InboxEventType, {
  name: 'InboxEventType',
  description: 'What happened. Every value but RESYNC_REQUIRED is an entry of the ordered event log.',
  valuesConfig: {
    MESSAGE_ADDED: { description: 'A message was sent, received or noted (MessageAddedEvent).' },
    MESSAGE_STATUS_CHANGED: { description: 'An outbound message moved to another delivery status (MessageStatusChangedEvent).' },
    REACTION_CHANGED: { description: 'A reaction was set, replaced or removed (ReactionChangedEvent).' },
    CONVERSATION_CREATED: { description: 'A conversation was started (ConversationUpdatedEvent, change CREATED).' },
    CONVERSATION_ASSIGNED: { description: 'A conversation was assigned or unassigned (ConversationUpdatedEvent, change ASSIGNED).' },
    CONVERSATION_READ: { description: 'Someone moved their read marker (ConversationUpdatedEvent, change READ).' },
    CONVERSATION_CLOSED: { description: 'A conversation was closed (ConversationUpdatedEvent, change CLOSED).' },
    CONVERSATION_REOPENED: { description: 'A closed conversation got a new session (ConversationUpdatedEvent, change REOPENED).' },
    WINDOW_OPENED: { description: 'The customer wrote and the customer-service window (re)opened (WindowChangedEvent).' },
    WINDOW_SHUT: { description: 'A stage of the customer-service window elapsed (WindowChangedEvent).' },
    INBOX_CREATED: { description: 'An inbox was connected (InboxUpdatedEvent, change CREATED).' },
    INBOX_UPDATED: { description: "An inbox's name, sender or provider settings changed (InboxUpdatedEvent, change UPDATED)." },
    INBOX_ARCHIVED: { description: 'An inbox was archived: it sends nothing new (InboxUpdatedEvent, change ARCHIVED).' },
    INBOX_MEMBER_ADDED: { description: 'A teammate was added to an inbox (InboxUpdatedEvent, change MEMBER_ADDED).' },
    INBOX_MEMBER_REMOVED: { description: 'A teammate was removed from an inbox (InboxUpdatedEvent, change MEMBER_REMOVED).' },
    RESYNC_REQUIRED: { description: 'The stream cannot resume from your cursor without a gap: refetch what you show, then carry on.' },
  },
});

/** How a conversation changed. */
export enum ConversationChange {
  CREATED = 'created',
  ASSIGNED = 'assigned',
  READ = 'read',
  CLOSED = 'closed',
  REOPENED = 'reopened',
}

registerEnumType(ConversationChange, {
  name: 'ConversationChange',
  description: 'CREATED, ASSIGNED (or unassigned), READ (someone moved their read marker), CLOSED or REOPENED.',
  valuesConfig: {
    CREATED: { description: 'The conversation was started (first inbound message or first send to a contact).' },
    ASSIGNED: { description: 'The assignee changed; `conversation.assignee` is the new one, or null when unassigned.' },
    READ: { description: 'A teammate moved their read marker; their `unreadCount` changed.' },
    CLOSED: { description: 'The active session was closed.' },
    REOPENED: { description: 'A new inbound message or send opened a new session of a closed conversation.' },
  },
});

/** How an inbox changed. */
export enum InboxChange {
  CREATED = 'created',
  UPDATED = 'updated',
  ARCHIVED = 'archived',
  MEMBER_ADDED = 'member_added',
  MEMBER_REMOVED = 'member_removed',
}

registerEnumType(InboxChange, {
  name: 'InboxChange',
  description: 'CREATED, UPDATED, ARCHIVED, MEMBER_ADDED or MEMBER_REMOVED.',
  valuesConfig: {
    CREATED: { description: 'The inbox was connected.' },
    UPDATED: { description: 'Its name, sender, window overrides or provider settings changed (`changedFields` says which).' },
    ARCHIVED: { description: 'It was archived: nothing new is sent from it; its history stays readable.' },
    MEMBER_ADDED: { description: '`member` now works this inbox (and sees its conversations).' },
    MEMBER_REMOVED: { description: '`member` no longer works this inbox (and no longer sees its conversations).' },
  },
});

/** Why a stream could not resume from the given cursor. */
export enum ResyncReason {
  CURSOR_EXPIRED = 'cursor_expired',
  CURSOR_UNKNOWN = 'cursor_unknown',
}

registerEnumType(ResyncReason, {
  name: 'ResyncReason',
  description: 'Why resuming was impossible.',
  valuesConfig: {
    CURSOR_EXPIRED: { description: 'Events after your cursor are older than the retention period and were deleted.' },
    CURSOR_UNKNOWN: { description: 'The cursor is ahead of this workspace’s log (from another workspace, or the log was restored).' },
  },
});

const RESYNC_REASON: Record<CursorProblem, ResyncReason> = {
  [CursorProblem.EXPIRED]: ResyncReason.CURSOR_EXPIRED,
  [CursorProblem.UNKNOWN]: ResyncReason.CURSOR_UNKNOWN,
};

/** Fields every event carries. `source` (not exposed) is what field resolvers load from. */
@InterfaceType('InboxEvent', {
  description: 'Something that happened in an inbox, in log order. Resume a stream after `cursor` to miss nothing.',
  resolveType: (value: InboxEvent) => value.constructor as ClassType,
})
export abstract class InboxEvent {
  // Apollo Client and urql normalise objects by __typename + id; events had none, so caches warned and could not merge.
  @Field(() => ID, {
    description:
      'Stable, unique id of the event: the same when it is replayed or delivered on several subscriptions. ResyncRequiredEvent is not a log entry; its id is derived from its cursor.',
  })
  id!: string;

  @Field({ description: 'Opaque position in the event log: pass it as `after` to resume right after this event.' })
  cursor!: string;

  @Field({ description: 'When it happened (for RESYNC_REQUIRED: when the stream gave up on the cursor).' })
  occurredAt!: Date;

  @Field(() => InboxEventType, { description: 'What happened; the concrete type (`__typename`) tells which fields there are.' })
  type!: InboxEventType;

  @Field(() => SenderType, { description: 'Who did it: USER/BOT (a teammate), CUSTOMER, or SYSTEM (timers, providers).' })
  actorType!: SenderType;

  @Field(() => String, {
    nullable: true,
    description: 'What caused it: for a send, the clientMessageId you chose; otherwise a provider or internal reference.',
  })
  causationId!: string | null;

  readonly source!: LiveEvent;
}

@ObjectType('MessageAddedEvent', {
  implements: InboxEvent,
  description: 'A message was added to a conversation (sent, received or a note).',
})
export class MessageAddedEvent extends InboxEvent {
  messageId!: string;
}

@ObjectType('MessageStatusChangedEvent', {
  implements: InboxEvent,
  description: 'An outbound message moved along PENDING → SENT → DELIVERED → READ, or FAILED.',
})
export class MessageStatusChangedEvent extends InboxEvent {
  messageId!: string;

  @Field(() => DeliveryStatus, { nullable: true, description: 'The status before; null when unknown.' })
  from!: DeliveryStatus | null;
}

@ObjectType('ReactionChangedEvent', { implements: InboxEvent, description: 'A reaction was set, replaced or removed.' })
export class ReactionChangedEvent extends InboxEvent {
  messageId!: string;
  reactionId!: string | null;

  @Field({ description: 'The emoji set, or taken away when `removed` is true (one grapheme).' })
  emoji!: string;

  @Field({ description: 'True when `emoji` was taken away.' })
  removed!: boolean;
}

@ObjectType('ConversationUpdatedEvent', {
  implements: InboxEvent,
  description: 'A conversation was created, assigned, read, closed or reopened.',
})
export class ConversationUpdatedEvent extends InboxEvent {
  conversationId!: string;

  @Field(() => ConversationChange, { description: 'How the conversation changed.' })
  change!: ConversationChange;
}

@ObjectType('WindowChangedEvent', {
  implements: InboxEvent,
  description: 'The customer-service window of a conversation opened or a stage of it shut.',
})
export class WindowChangedEvent extends InboxEvent {
  conversationId!: string;
  /** The customer message time the window counted from, when the event recorded it. */
  lastInboundAt!: Date | null;

  @Field({ description: 'True when the customer wrote and the window (re)opened; false when a stage of it shut.' })
  opened!: boolean;
}

@ObjectType('ResyncRequiredEvent', {
  implements: InboxEvent,
  description:
    'The stream could not resume from your cursor without missing events. Refetch what you display; the stream carries on live, and this event’s `cursor` is where to resume from next time.',
})
export class ResyncRequiredEvent extends InboxEvent {
  @Field(() => ResyncReason, { description: 'Why the stream could not resume from your cursor.' })
  reason!: ResyncReason;

  @Field({ description: 'The oldest cursor that can still be resumed from.' })
  oldestCursor!: string;
}

@ObjectType('InboxUpdatedEvent', {
  implements: InboxEvent,
  description: 'An inbox was created, updated or archived, or its members changed. Secrets never appear here.',
})
export class InboxUpdatedEvent extends InboxEvent {
  inboxId!: string;
  /** The teammate added or removed (member changes only). */
  memberId!: string | null;

  @Field(() => InboxChange, { description: 'How the inbox changed.' })
  change!: InboxChange;

  @Field(() => [String], {
    description: 'For UPDATED: the settings that changed (`name`, `senderAddress`, `settings.accessToken`, …; secrets by name only).',
  })
  changedFields!: string[];
}

const INBOX_CHANGE: Partial<Record<EventType, InboxChange>> = {
  [EventType.INBOX_CREATED]: InboxChange.CREATED,
  [EventType.INBOX_UPDATED]: InboxChange.UPDATED,
  [EventType.INBOX_ARCHIVED]: InboxChange.ARCHIVED,
  [EventType.INBOX_MEMBER_ADDED]: InboxChange.MEMBER_ADDED,
  [EventType.INBOX_MEMBER_REMOVED]: InboxChange.MEMBER_REMOVED,
};

const CONVERSATION_CHANGE: Partial<Record<EventType, ConversationChange>> = {
  [EventType.CONVERSATION_CREATED]: ConversationChange.CREATED,
  [EventType.CONVERSATION_ASSIGNED]: ConversationChange.ASSIGNED,
  [EventType.CONVERSATION_READ]: ConversationChange.READ,
  [EventType.CONVERSATION_CLOSED]: ConversationChange.CLOSED,
  [EventType.CONVERSATION_REOPENED]: ConversationChange.REOPENED,
};

function dateOrNull(value: string | null): Date | null {
  const d = value ? new Date(value) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

/** Which GraphQL type each log type is delivered as; exhaustive. */
const VIEW: Record<EventType, (live: LiveEvent) => InboxEvent> = {
  [EventType.MESSAGE_ADDED]: (live) => Object.assign(new MessageAddedEvent(), { messageId: live.event!.messageId }),
  [EventType.MESSAGE_STATUS_CHANGED]: (live) =>
    Object.assign(new MessageStatusChangedEvent(), {
      messageId: live.event!.messageId,
      from: (payloadString(live.event!.payload, 'from') as DeliveryStatus | null) ?? null,
    }),
  [EventType.REACTION_CHANGED]: (live) =>
    Object.assign(new ReactionChangedEvent(), {
      messageId: live.event!.messageId,
      reactionId: payloadString(live.event!.payload, 'reactionId'),
      emoji: payloadString(live.event!.payload, 'emoji') ?? '',
      removed: live.event!.payload.removed === true,
    }),
  [EventType.CONVERSATION_CREATED]: conversationUpdated,
  [EventType.CONVERSATION_ASSIGNED]: conversationUpdated,
  [EventType.CONVERSATION_READ]: conversationUpdated,
  [EventType.CONVERSATION_CLOSED]: conversationUpdated,
  [EventType.CONVERSATION_REOPENED]: conversationUpdated,
  [EventType.WINDOW_OPENED]: (live) => windowChanged(live, true),
  [EventType.WINDOW_SHUT]: (live) => windowChanged(live, false),
  [EventType.INBOX_CREATED]: inboxUpdated,
  [EventType.INBOX_UPDATED]: inboxUpdated,
  [EventType.INBOX_ARCHIVED]: inboxUpdated,
  [EventType.INBOX_MEMBER_ADDED]: inboxUpdated,
  [EventType.INBOX_MEMBER_REMOVED]: inboxUpdated,
};

function inboxUpdated(live: LiveEvent): InboxEvent {
  const payload = live.event!.payload;
  return Object.assign(new InboxUpdatedEvent(), {
    inboxId: live.event!.inboxId,
    memberId: payloadString(payload, 'memberId'),
    change: INBOX_CHANGE[live.event!.type]!,
    changedFields: Array.isArray(payload.changedFields) ? payload.changedFields.filter((f): f is string => typeof f === 'string') : [],
  });
}

function conversationUpdated(live: LiveEvent): InboxEvent {
  return Object.assign(new ConversationUpdatedEvent(), {
    conversationId: live.event!.conversationId,
    change: CONVERSATION_CHANGE[live.event!.type]!,
  });
}

function windowChanged(live: LiveEvent, opened: boolean): InboxEvent {
  return Object.assign(new WindowChangedEvent(), {
    conversationId: live.event!.conversationId,
    lastInboundAt: dateOrNull(payloadString(live.event!.payload, 'lastInboundAt')),
    opened,
  });
}

/** The GraphQL object for one delivered event (entity fields are resolved later, per event context). */
export function toInboxEvent(live: LiveEvent): InboxEvent {
  if (!live.event) {
    const resync = live.resync!;
    const cursor = encodeEventCursor(live.seq);
    return Object.assign(new ResyncRequiredEvent(), {
      source: live,
      id: `resync_${cursor}`,
      cursor,
      occurredAt: resync.at,
      type: InboxEventType.RESYNC_REQUIRED,
      actorType: SenderType.SYSTEM,
      causationId: null,
      reason: RESYNC_REASON[resync.problem],
      oldestCursor: encodeEventCursor(resync.oldestResumable),
    });
  }
  const e = live.event;
  return Object.assign(VIEW[e.type](live), {
    source: live,
    id: e.id,
    cursor: encodeEventCursor(live.seq),
    occurredAt: new Date(e.createdAt),
    type: e.type,
    actorType: e.actorType ?? SenderType.SYSTEM,
    causationId: e.causationId,
  });
}
