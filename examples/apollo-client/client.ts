import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { isSubscriptionOperation, relayStylePagination } from '@apollo/client/utilities';
import { createClient, type Client as WsClient } from 'graphql-ws';
import generated from './generated/possible-types';

/** Where the API is and who calls it. */
export interface SwitchboardClientOptions {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`; subscriptions use the same path over ws(s). */
  url: string;
  /** An API token (`npm run token`, or the demo token `npm start` prints). */
  token: string;
  /** A WebSocket class where there is no global one (Node 20: the `ws` package); browsers and Node ≥ 22 need none. */
  webSocketImpl?: unknown;
  /** Told each time the websocket is connected and the server has accepted the token. */
  onConnected?: () => void;
}

/** The Apollo Client, and the websocket client under its subscriptions (to watch or close the connection). */
export interface SwitchboardClient {
  client: ApolloClient;
  ws: WsClient;
  /** Stops the client's queries and closes the websocket. */
  dispose(): Promise<void>;
}

/**
 * Objects without an `id` that a newer result replaces wholesale. Apollo Client cannot normalise
 * them, so without `merge: true` it warns that replacing one may lose cache data (and, for
 * `Window`, evaluating it again would drop fields another query selected).
 */
const EMBEDDED_TYPES = [
  'Window',
  'InboxCapabilities',
  'MediaLimit',
  'DeliveryFailure',
  'StatusChange',
  'TextContent',
  'NoteContent',
  'MediaContent',
  'TemplateContent',
  'TemplateComponent',
  'TemplateParameter',
  'RichContent',
  'Card',
  'CardHeader',
  'CardText',
  'CardAction',
  'ContactIdentity',
] as const;

/**
 * The cache Switchboard needs:
 * - `possibleTypes` from codegen, so fragments on `Node`, `InboxEvent`, `Actor` and `MessageContent`
 *   match their members;
 * - Relay-style pagination for the two connections: pages of `conversations` (per filter and order)
 *   and of `Conversation.messages` are merged into one list by cursor;
 * - `merge: true` for the embedded objects above. Every other object (conversations, messages,
 *   events, users…) has an `id` and is normalised by `__typename:id`.
 */
export function createSwitchboardCache(): InMemoryCache {
  return new InMemoryCache({
    possibleTypes: generated.possibleTypes,
    typePolicies: {
      Query: { fields: { conversations: relayStylePagination(['filter', 'orderBy']) } },
      Conversation: { fields: { messages: relayStylePagination() } },
      ...Object.fromEntries(EMBEDDED_TYPES.map((name) => [name, { merge: true }])),
    },
  });
}

/**
 * An Apollo Client for Switchboard: queries and mutations over HTTP, subscriptions over a graphql-ws
 * websocket on the same URL, the bearer token on both (a header for HTTP, `connection_init` for the
 * websocket).
 */
export function createSwitchboardClient(options: SwitchboardClientOptions): SwitchboardClient {
  const authorization = `Bearer ${options.token}`;
  const ws = createClient({
    url: options.url.replace(/^http/, 'ws'),
    connectionParams: { authorization },
    webSocketImpl: options.webSocketImpl,
    on: { connected: () => options.onConnected?.() },
  });
  const http = new HttpLink({ uri: options.url, headers: { authorization } });
  const link = ApolloLink.split(({ query }) => isSubscriptionOperation(query), new GraphQLWsLink(ws), http);
  const client = new ApolloClient({ link, cache: createSwitchboardCache() });
  return {
    client,
    ws,
    async dispose() {
      client.stop();
      await ws.dispose();
    },
  };
}
