import { Field, ObjectType } from 'type-graphql';
import { Conversation } from './conversation.entity';

@ObjectType('ReassignConversationPayload', { description: 'The conversation with its new (or no) assignee.' })
export class ReassignConversationPayload {
  @Field(() => Conversation)
  conversation!: Conversation;
}

@ObjectType('MarkConversationReadPayload', { description: 'The conversation, with your `unreadCount` counted from your new read marker.' })
export class MarkConversationReadPayload {
  @Field(() => Conversation)
  conversation!: Conversation;
}

@ObjectType('CloseConversationPayload', { description: 'The closed conversation.' })
export class CloseConversationPayload {
  @Field(() => Conversation)
  conversation!: Conversation;
}
