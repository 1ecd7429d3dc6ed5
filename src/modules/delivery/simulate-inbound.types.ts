import { Field, ObjectType } from 'type-graphql';
import { Conversation } from '../conversation/conversation.entity';
import { Message } from '../message/message.entity';

@ObjectType('SimulateInboundPayload', { description: 'The customer message the sandbox delivered, and the conversation it landed in.' })
export class SimulateInboundPayload {
  @Field(() => Message, { description: 'The inbound message, as stored from the sandbox webhook.' })
  message!: Message;

  @Field(() => Conversation, { description: 'The conversation it continued, reopened or started.' })
  conversation!: Conversation;
}
