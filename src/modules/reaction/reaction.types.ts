import { Field, ObjectType } from 'type-graphql';
import { Message } from '../message/message.entity';
import { Reaction } from './reaction.entity';

@ObjectType('ReactToMessagePayload', { description: 'The message with its reactions, and your reaction as it now stands.' })
export class ReactToMessagePayload {
  @Field(() => Message, { description: 'The message, with every reaction on it.' })
  message!: Message;

  @Field(() => Reaction, { nullable: true, description: 'Your reaction as it now stands; null once removed (or when you had none).' })
  reaction!: Reaction | null;
}
