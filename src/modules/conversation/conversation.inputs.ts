import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { ChannelKind } from '../channel/channel-kind';
import { ConversationStatus } from './conversation-status';

/** Narrows the inbox list. Every filter is backed by an index ending in the keyset order. */
@InputType('ConversationFilter', { description: 'Narrows the inbox list; every given field must match (AND).' })
export class ConversationFilter {
  @Field(() => [ConversationStatus], { nullable: true, description: 'Only these statuses.' })
  status?: ConversationStatus[] | null;

  @Field(() => ID, { nullable: true, description: 'Only conversations of this inbox.' })
  inboxId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only conversations assigned to this user.' })
  assigneeId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only unassigned; false: only assigned.' })
  unassigned?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'true: only conversations the viewer has written in.' })
  interacted?: boolean | null;

  @Field(() => ChannelKind, { nullable: true, description: 'Only conversations on this channel.' })
  channel?: ChannelKind | null;
}

export enum ConversationOrder {
  LAST_ACTIVITY_DESC = 'LAST_ACTIVITY_DESC',
  LAST_ACTIVITY_ASC = 'LAST_ACTIVITY_ASC',
}

registerEnumType(ConversationOrder, {
  name: 'ConversationOrder',
  description: 'Inbox list order; newest activity first by default.',
  valuesConfig: {
    LAST_ACTIVITY_DESC: { description: 'Most recent `lastActivityAt` first (the default).' },
    LAST_ACTIVITY_ASC: { description: 'Oldest `lastActivityAt` first, e.g. to work the longest-waiting conversations.' },
  },
});
