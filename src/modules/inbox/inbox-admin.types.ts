import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { User } from '../user/user.entity';
import { Inbox } from './inbox.entity';

/** What a connection test found (the adapter's `ConnectionTestStatus`, in GraphQL spelling). */
export enum ConnectionTestStatusKind {
  OK = 'ok',
  BAD_CREDENTIALS = 'bad_credentials',
  NOT_FOUND = 'not_found',
  UNREACHABLE = 'unreachable',
}

registerEnumType(ConnectionTestStatusKind, {
  name: 'ConnectionTestStatus',
  description: 'OK, BAD_CREDENTIALS, NOT_FOUND or UNREACHABLE.',
  valuesConfig: {
    OK: { description: 'The provider accepted the credentials and knows the sender.' },
    BAD_CREDENTIALS: { description: 'The provider refused the token or secret (wrong, expired, or without permission).' },
    NOT_FOUND: { description: 'The credentials work but the provider does not know the sender id (phone number id, page, bot…).' },
    UNREACHABLE: { description: 'The provider could not be reached or answered something unexpected; try again later.' },
  },
});

@ObjectType('InboxSecretStatus', { description: 'A write-only provider secret: whether it is set, never its value.' })
export class InboxSecretStatusType {
  @Field({ description: 'The setting name (`accessToken`, `appSecret`, …).' })
  name!: string;

  @Field({ description: 'True when a value is stored.' })
  configured!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'The last 4 characters (`…abcd`) of a secret of 12 characters or more; null otherwise.',
  })
  hint!: string | null;
}

@ObjectType('InboxConnectionTest', { description: "The result of calling the inbox's provider with its credentials." })
export class InboxConnectionTestType {
  @Field(() => ConnectionTestStatusKind, { description: 'What the call found.' })
  status!: ConnectionTestStatusKind;

  @Field({ description: 'What happened, for the admin (the provider’s own message when it gave one).' })
  message!: string;

  @Field({ description: 'When the test ran.' })
  testedAt!: Date;
}

@ObjectType('InboxPayload', { description: 'The inbox as the mutation left it.' })
export class InboxPayload {
  @Field(() => Inbox, { description: 'The inbox, as committed.' })
  inbox!: Inbox;

  @Field(() => InboxConnectionTestType, {
    nullable: true,
    description:
      "createInbox/updateInbox: registering the inbox with its provider after the settings were saved (Telegram's setWebhook); null when the provider needs none or the settings did not change. A failure does not undo the change: fix it and save again.",
  })
  connection?: InboxConnectionTestType | null;
}

@ObjectType('InboxMemberPayload', { description: 'The inbox and the teammate whose membership changed.' })
export class InboxMemberPayload {
  @Field(() => Inbox, { description: 'The inbox, with its `members` as committed.' })
  inbox!: Inbox;

  @Field(() => User, { description: 'The teammate added or removed.' })
  user!: User;
}
