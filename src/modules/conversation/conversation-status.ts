import { registerEnumType } from 'type-graphql';

/** A conversation is open while a session is active; closing ends the session, the thread remains. */
export enum ConversationStatus {
  OPEN = 'open',
  CLOSED = 'closed',
}

registerEnumType(ConversationStatus, { name: 'ConversationStatus' });
