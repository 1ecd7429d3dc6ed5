import { Field, ObjectType } from 'type-graphql';
import { Conversation } from './conversation.entity';

@ObjectType('ReassignConversationPayload', { description: 'The conversation with its new (or no) assignee.' })
export class ReassignConversationPayload {
  @Field(() => Conversation, { description: 'The conversation with its new `assignee` (null when unassigned).' })
  conversation!: Conversation;
}

@ObjectType('MarkConversationReadPayload', { description: 'The conversation, with your `unreadCount` counted from your new read marker.' })
export class MarkConversationReadPayload {
  @Field(() => Conversation, { description: 'The conversation with your new `unreadCount`.' })
  conversation!: Conversation;
}

@ObjectType('CloseConversationPayload', { description: 'The closed conversation.' })
export class CloseConversationPayload {
  @Field(() => Conversation, { description: 'The conversation, now CLOSED.' })
  conversation!: Conversation;
}
