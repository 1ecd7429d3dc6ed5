import { registerEnumType } from 'type-graphql';

/** Everything that can happen in a workspace, as recorded in the event log and streamed to clients. */
export enum EventType {
  MESSAGE_ADDED = 'message.added',
  MESSAGE_STATUS_CHANGED = 'message.status_changed',
  REACTION_CHANGED = 'reaction.changed',
  CONVERSATION_CREATED = 'conversation.created',
  CONVERSATION_ASSIGNED = 'conversation.assigned',
  CONVERSATION_READ = 'conversation.read',
  CONVERSATION_CLOSED = 'conversation.closed',
  CONVERSATION_REOPENED = 'conversation.reopened',
  WINDOW_OPENED = 'window.opened',
  WINDOW_SHUT = 'window.shut',
  INBOX_CREATED = 'inbox.created',
  INBOX_UPDATED = 'inbox.updated',
  INBOX_ARCHIVED = 'inbox.archived',
  INBOX_MEMBER_ADDED = 'inbox.member_added',
  INBOX_MEMBER_REMOVED = 'inbox.member_removed',
}

registerEnumType(EventType, { name: 'EventType', description: 'What happened, as recorded in the ordered event log.' });
