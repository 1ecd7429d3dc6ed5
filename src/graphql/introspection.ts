import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, GraphQLError, SchemaMetaFieldDef, TypeMetaFieldDef, visit, type DocumentNode } from 'graphql';
import { Errors } from '../lib/errors';
import { unauthorizedHttp } from './authorization';
import type { AppContext } from './context';

/** Whether a document reaches the schema through `__schema` or `__type` (`__typename` is not introspection). */
export function selectsIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      // Names starting with `__` are reserved, so after validation these can only be the meta-fields.
      if (node.name.value === SchemaMetaFieldDef.name || node.name.value === TypeMetaFieldDef.name) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Apollo plugin: with introspection off (INTROSPECTION=false, the production default), `__schema`
 * and `__type` need a valid bearer token; without one the operation is refused as a whole with
 * UNAUTHENTICATED (HTTP 401) before anything runs. A caller with a token may always introspect, so
 * the playground (which sends its token) keeps its docs. Websockets need a token to connect at all.
 */
export function introspectionGatePlugin(openWithoutToken: boolean): ApolloServerPlugin<AppContext> {
  return {
    async requestDidStart() {
      if (openWithoutToken) return;
      return {
        async didResolveOperation({ contextValue, document }) {
          if (contextValue.viewer || !selectsIntrospection(document)) return;
          const error = Errors.unauthenticated('Introspection is disabled without a token: send `Authorization: Bearer <token>`.');
          throw new GraphQLError(error.message, {
            originalError: error,
            extensions: { http: unauthorizedHttp(contextValue.authError, error.message) },
          });
        },
      };
    },
  };
}
