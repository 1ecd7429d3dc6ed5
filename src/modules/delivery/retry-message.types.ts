import { Field, ObjectType } from 'type-graphql';
import { Message } from '../message/message.entity';

@ObjectType('RetryMessagePayload', { description: 'The message queued again for delivery.' })
export class RetryMessagePayload {
  @Field(() => Message, { description: 'PENDING again; follow delivery with its status as after a send.' })
  message!: Message;
}
