import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

/** What a client that sent a subscription over HTTP is told. */
export const HTTP_SUBSCRIPTION_MESSAGE = 'Subscriptions need a websocket: connect with graphql-ws to /graphql';

/**
 * Apollo plugin: HTTP carries queries and mutations only. A subscription operation sent there would
 * run its subscribe-only resolvers as plain fields (and fail as an internal error); it is refused
 * before execution as a BAD_REQUEST (HTTP 400) that says where subscriptions go.
 */
export function refuseHttpSubscriptionsPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(HTTP_SUBSCRIPTION_MESSAGE, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        },
      };
    },
  };
}
