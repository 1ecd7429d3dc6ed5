import { Field, ObjectType } from 'type-graphql';
import { Conversation } from '../conversation/conversation.entity';
import { Message } from './message.entity';

@ObjectType('SendMessagePayload', { description: 'The accepted message and its conversation as it is now (update your cache with both).' })
export class SendMessagePayload {
  @Field(() => Message, { description: 'PENDING until the delivery worker hands it to the provider; notes have no delivery status.' })
  message!: Message;

  @Field(() => Conversation, { description: 'The conversation after the send: last message, status (reopened), new conversations.' })
  conversation!: Conversation;
}
