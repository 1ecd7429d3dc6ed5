import { registerEnumType } from 'type-graphql';

/** A conversation is open while a session is active; closing ends the session, the thread remains. */
export enum ConversationStatus {
  OPEN = 'open',
  CLOSED = 'closed',
}

registerEnumType(ConversationStatus, {
  name: 'ConversationStatus',
  description: 'Whether the conversation has an active session.',
  valuesConfig: {
    OPEN: { description: 'A session is active: the conversation is in the working list.' },
    CLOSED: { description: 'Closed by a teammate; the next inbound message or send reopens it with a new session.' },
  },
});
