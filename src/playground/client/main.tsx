/**
 * Browser entry of the bundled playground. Bundled by `../playground.ts` with esbuild; nothing here
 * may load from a CDN (the server must work on a machine without internet).
 */
import { GraphiQL } from 'graphiql';
import type { Fetcher, FetcherOpts, FetcherParams, Observable } from '@graphiql/toolkit';
import { getOperationAST, OperationTypeNode, parse, type DocumentNode } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import 'graphiql/graphiql.css';

/** Shape of the blob the server embeds as `window.__SWITCHBOARD__` (see `playground.ts`). */
interface PlaygroundConfig {
  endpoint: string;
  subscriptionEndpoint?: string | null;
  defaultHeaders?: string;
  defaultQuery?: string;
  title?: string;
}

declare global {
  interface Window {
    __SWITCHBOARD__?: PlaygroundConfig;
  }
}

type Headers = Record<string, unknown>;

const config: PlaygroundConfig = window.__SWITCHBOARD__ ?? { endpoint: '/graphql' };
const httpUrl = new URL(config.endpoint, window.location.href).toString();
const wsUrl = toWebSocketUrl(config.subscriptionEndpoint ?? config.endpoint);

function toWebSocketUrl(endpoint: string): string {
  const url = new URL(endpoint, window.location.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

/**
 * GraphiQL keeps the headers editor in local storage and only falls back to `defaultHeaders` when
 * nothing is stored. A stored value that is blank, or that is exactly the demo headers a previous
 * server handed out (so the user never edited them), would otherwise pin a stale or empty token
 * after the database is reseeded; drop it so the server's current demo token wins.
 */
function preferServerDefaultHeaders(defaultHeaders: string | undefined): void {
  const HEADERS_KEY = 'graphiql:headers';
  const LAST_DEFAULT_KEY = 'switchboard:lastDefaultHeaders';
  try {
    const stored = localStorage.getItem(HEADERS_KEY);
    const lastDefault = localStorage.getItem(LAST_DEFAULT_KEY);
    const blank = stored !== null && /^\s*(\{\s*\})?\s*$/.test(stored);
    if (stored !== null && (blank || stored === lastDefault)) localStorage.removeItem(HEADERS_KEY);
    if (defaultHeaders !== undefined) localStorage.setItem(LAST_DEFAULT_KEY, defaultHeaders);
  } catch {
    // Storage can be disabled (private mode, sandboxed iframes); GraphiQL copes without it.
  }
}

/** Decides the transport: subscriptions must go over the websocket, everything else over POST. */
function isSubscription(params: FetcherParams, documentAST: DocumentNode | undefined): boolean {
  let document = documentAST;
  if (!document) {
    try {
      document = parse(params.query);
    } catch {
      // Let the server report the syntax error over HTTP rather than guessing a transport.
      return false;
    }
  }
  const operation = getOperationAST(document, params.operationName ?? undefined);
  return operation?.operation === OperationTypeNode.SUBSCRIPTION;
}

async function httpFetch(params: FetcherParams, headers: Headers): Promise<ExecutionResult> {
  const response = await fetch(httpUrl, {
    method: 'POST',
    // No multipart/mixed: incremental delivery is not enabled on the server, and the plain JSON
    // media types keep Apollo's responses simple to render.
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(headers as Record<string, string>),
    },
    body: JSON.stringify(params),
    credentials: 'same-origin',
  });
  const text = await response.text();
  try {
    // GraphQL errors arrive with 4xx statuses under graphql-response+json; the body is still the answer.
    return JSON.parse(text) as ExecutionResult;
  } catch {
    throw new Error(`HTTP ${response.status} ${response.statusText}: ${text.slice(0, 500)}`);
  }
}

/**
 * The server authenticates a websocket once, from the connection_init payload, so a socket opened
 * with old headers keeps its old identity: one client per distinct headers value, and the previous
 * one is closed when the headers change.
 */
let wsClient: { key: string; client: Client } | null = null;

function wsClientFor(headers: Headers): Client {
  const key = JSON.stringify(headers);
  if (wsClient?.key === key) return wsClient.client;
  void wsClient?.client.dispose();
  const client = createClient({ url: wsUrl, connectionParams: { ...headers }, lazy: true });
  wsClient = { key, client };
  return client;
}

/** GraphiQL prints `error.message`; a raw CloseEvent or Event would render as `{ "isTrusted": true }`. */
function toDisplayableError(error: unknown): unknown {
  if (Array.isArray(error) || error instanceof Error) return error;
  if (typeof CloseEvent !== 'undefined' && error instanceof CloseEvent) {
    return new Error(`WebSocket closed (code ${error.code})${error.reason ? `: ${error.reason}` : ''}`);
  }
  if (typeof Event !== 'undefined' && error instanceof Event) {
    return new Error(`WebSocket error: could not reach ${wsUrl}`);
  }
  return new Error(String(error));
}

function wsSubscribe(params: FetcherParams, headers: Headers): Observable<ExecutionResult> {
  return {
    subscribe(nextOrObserver?: unknown, error?: unknown, complete?: unknown) {
      // GraphiQL passes an observer object; the positional form exists only to satisfy the type.
      const observer = (
        typeof nextOrObserver === 'object' && nextOrObserver !== null
          ? nextOrObserver
          : { next: nextOrObserver, error, complete }
      ) as { next?: (value: unknown) => void; error?: (error: unknown) => void; complete?: () => void };
      const dispose = wsClientFor(headers).subscribe(
        { query: params.query, operationName: params.operationName ?? undefined, variables: params.variables },
        {
          next: (value) => observer.next?.(value),
          error: (err) => observer.error?.(toDisplayableError(err)),
          complete: () => observer.complete?.(),
        },
      );
      return { unsubscribe: dispose };
    },
  } as Observable<ExecutionResult>;
}

/** GraphiQL hands us the parsed headers editor on every call, introspection included. */
const fetcher: Fetcher = (params: FetcherParams, opts?: FetcherOpts) => {
  const headers: Headers = opts?.headers ?? {};
  if (isSubscription(params, opts?.documentAST)) return wsSubscribe(params, headers);
  return httpFetch(params, headers);
};

const DEFAULT_QUERY = `# Welcome to the Switchboard playground.
# The Headers tab holds a demo token, so you are signed in as the seeded demo user.
# Run with Ctrl-Enter; subscriptions go over a websocket on the same URL.
query Welcome {
  viewer {
    id
    name
  }
  conversations(first: 5) {
    edges {
      node {
        id
        channel
        status
        name
      }
    }
  }
}
`;

preferServerDefaultHeaders(config.defaultHeaders);
if (config.title) document.title = config.title;

const root = document.getElementById('root');
if (!root) throw new Error('playground: #root element missing');

createRoot(root).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={config.defaultQuery ?? DEFAULT_QUERY}
    defaultHeaders={config.defaultHeaders}
    shouldPersistHeaders
    defaultEditorToolsVisibility={config.defaultHeaders ? 'headers' : false}
  >
    <GraphiQL.Logo>{config.title ?? 'Switchboard'}</GraphiQL.Logo>
  </GraphiQL>,
);
