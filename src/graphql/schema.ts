import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { ContactResolver } from '../modules/contact/contact.resolver';
import { ConversationMutationResolver } from '../modules/conversation/conversation-mutation.resolver';
import { ConversationConnectionResolver, ConversationResolver } from '../modules/conversation/conversation.resolver';
import { InboxResolver } from '../modules/inbox/inbox.resolver';
import { InboxCapabilitiesResolver } from '../modules/inbox/inbox-capabilities.resolver';
import { InboxTemplatesResolver } from '../modules/inbox/inbox-templates.resolver';
import { InboxAdminResolver } from '../modules/inbox/inbox-admin.resolver';
import { InboxUpdatedEventResolver } from '../modules/inbox/inbox-events.resolver';
import { SimulateInboundResolver } from '../modules/delivery/simulate-inbound.resolver';
import { RetryMessageResolver } from '../modules/delivery/retry-message.resolver';
import { MediaResolver } from '../modules/media/media.resolver';
import { MediaContentResolver, MessageResolver, ReactionResolver } from '../modules/message/message.resolver';
import { SendMessageResolver } from '../modules/message/send-message.resolver';
import { NodeResolver } from '../modules/node/node.resolver';
import { ReactionMutationResolver } from '../modules/reaction/reaction.resolver';
import { EVENT_RESOLVERS, SUBSCRIBE_ONLY_PUBSUB } from '../modules/event/event.resolver';
import { ViewerResolver } from '../modules/user/viewer.resolver';
import { ScopeChecker } from './authorization';
import { applyOneOf } from './one-of';
import { completeSchemaDocs } from './schema-docs';

/** Every resolver class of the schema. */
export const RESOLVERS: NonEmptyArray<Function> = [
  ViewerResolver,
  NodeResolver,
  InboxResolver,
  ContactResolver,
  ConversationResolver,
  ConversationConnectionResolver,
  MessageResolver,
  ReactionResolver,
  MediaContentResolver,
  ConversationMutationResolver,
  ReactionMutationResolver,
  MediaResolver,
  SendMessageResolver,
  InboxCapabilitiesResolver,
  InboxTemplatesResolver,
  SimulateInboundResolver,
  RetryMessageResolver,
  ...EVENT_RESOLVERS,
  InboxAdminResolver,
  InboxUpdatedEventResolver,
];

/** Builds the executable schema from the type-graphql classes, with what type-graphql cannot declare (`@oneOf`). */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker: ScopeChecker,
    validate: false,
    pubSub: SUBSCRIBE_ONLY_PUBSUB,
  });
  applyOneOf(schema);
  completeSchemaDocs(schema);
  return schema;
}

/** The SDL checked in as schema.graphql: sorted, so diffs show real changes only. */
export function printSortedSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
