/**
 * Browser entry of the bundled playground. Bundled by `../playground.ts` with esbuild; nothing here
 * may load from a CDN (the server must work on a machine without internet).
 */
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import type { Fetcher, FetcherOpts, FetcherParams, Observable } from '@graphiql/toolkit';
import { getOperationAST, Kind, OperationTypeNode, parse, type DocumentNode } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import { createEventLog } from './event-log';
import { createEventLogPlugin, OpenLogOnSubscribe } from './event-log-plugin';
// Not 'graphiql/style.css': that one also carries monaco's CSS for CDN use, which the bundle
// already gets from monaco's own modules.
import '@graphiql/react/style.css';
import '@graphiql/plugin-doc-explorer/style.css';
import '@graphiql/plugin-history/style.css';
import 'graphiql/graphiql.css';

/** Shape of the blob the server embeds as `window.__SWITCHBOARD__` (see `playground.ts`). */
interface PlaygroundConfig {
  endpoint: string;
  /** URLs of the editors' web worker bundles, by the label the client maps monaco's request to. */
  workers?: Partial<Record<'editor' | 'json' | 'graphql', string>>;
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

type HeaderMap = Record<string, unknown>;

const config: PlaygroundConfig = window.__SWITCHBOARD__ ?? { endpoint: '/graphql' };
const httpUrl = new URL(config.endpoint, window.location.href).toString();
const wsUrl = toWebSocketUrl(config.subscriptionEndpoint ?? config.endpoint);

/**
 * monaco asks for a worker by language label. The graphql and json languages have their own;
 * everything else (the editor core) shares one. The scripts come from the server's asset route,
 * as separate bundles: nothing loads from a CDN, and the CSP allows workers from 'self' only.
 */
window.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const name = label === 'graphql' || label === 'json' ? label : 'editor';
    const url = config.workers?.[name];
    if (!url) throw new Error(`playground: no ${name} worker bundle configured`);
    return new Worker(url, { name: `${name}.worker` });
  },
};

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

/**
 * GraphiQL recomputes `operationName` and `documentAST` on a debounce after each edit, so an
 * execute right after a paste (or a programmatic setValue) can carry the previous document's
 * operation name and AST. The query text itself is always current: derive both from it.
 */
function analyse(params: FetcherParams): { params: FetcherParams; subscription: boolean; label: string } {
  let document: DocumentNode;
  try {
    document = parse(params.query);
  } catch {
    // Let the server report the syntax error over HTTP rather than guessing a transport.
    return { params, subscription: false, label: 'operation' };
  }
  let operationName = params.operationName ?? undefined;
  let operation = getOperationAST(document, operationName);
  if (!operation && operationName) {
    // A stale name from the previous document; with a single operation there is no ambiguity.
    operation = getOperationAST(document);
    if (operation) operationName = operation.name?.value;
  }
  // An anonymous operation is named in the log after its first root field, as a reader would call it.
  const firstField = operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
  return {
    params: { ...params, operationName: operationName ?? null },
    subscription: operation?.operation === OperationTypeNode.SUBSCRIPTION,
    label: operationName ?? firstField?.name.value ?? 'subscription',
  };
}

async function httpFetch(params: FetcherParams, headers: HeaderMap): Promise<ExecutionResult> {
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
    throw plainError(`HTTP ${response.status} ${response.statusText}: ${text.slice(0, 500)}`);
  }
}

/**
 * The server authenticates a websocket once, from the connection_init payload, so a socket opened
 * with old headers keeps its old identity: one client per distinct headers value, and the previous
 * one is closed when the headers change.
 */
let wsClient: { key: string; client: Client } | null = null;

function wsClientFor(headers: HeaderMap): Client {
  const key = JSON.stringify(headers);
  if (wsClient?.key === key) return wsClient.client;
  void wsClient?.client.dispose();
  const client = createClient({
    url: wsUrl,
    connectionParams: { ...headers },
    lazy: true,
    // graphql-ws retries a 4403 (Forbidden) by default, which leaves the result pane blank for
    // tens of seconds behind a bad token. Only network-level closes are worth retrying here.
    shouldRetry: (error) => isCloseLike(error) && (error.code < 4000 || error.code > 4999),
  });
  wsClient = { key, client };
  return client;
}

/** GraphiQL prints `stack` next to `message`; for these errors it is bundle noise, not information. */
function plainError(message: string): Error {
  const error = new Error(message);
  error.stack = undefined;
  return error;
}

function isCloseLike(error: unknown): error is { code: number; reason: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number';
}

/** GraphiQL prints `error.message`; a raw CloseEvent or Event would render as `{ "isTrusted": true }`. */
function toDisplayableError(error: unknown): unknown {
  if (Array.isArray(error) || error instanceof Error) return error;
  if (isCloseLike(error)) {
    return plainError(`WebSocket closed (code ${error.code})${error.reason ? `: ${error.reason}` : ''}`);
  }
  if (typeof Event !== 'undefined' && error instanceof Event) {
    return plainError(`WebSocket error: could not reach ${wsUrl}`);
  }
  return plainError(String(error));
}

/** Every subscription value, kept for the "Subscription log" panel (the response pane shows the latest only). */
const eventLog = createEventLog();
const eventLogPlugin = createEventLogPlugin(eventLog);

function wsSubscribe(params: FetcherParams, headers: HeaderMap, label: string): Observable<ExecutionResult> {
  return {
    subscribe(nextOrObserver?: unknown, error?: unknown, complete?: unknown) {
      // GraphiQL passes an observer object; the positional form exists only to satisfy the type.
      const observer = (
        typeof nextOrObserver === 'object' && nextOrObserver !== null ? nextOrObserver : { next: nextOrObserver, error, complete }
      ) as { next?: (value: unknown) => void; error?: (error: unknown) => void; complete?: () => void };
      let ended = false;
      eventLog.add('started', label);
      const dispose = wsClientFor(headers).subscribe(
        { query: params.query, operationName: params.operationName ?? undefined, variables: params.variables },
        {
          next: (value) => {
            eventLog.add('event', label, value);
            observer.next?.(value);
          },
          error: (err) => {
            ended = true;
            const shown = toDisplayableError(err);
            eventLog.add('error', label, shown instanceof Error ? shown.message : shown);
            observer.error?.(shown);
          },
          complete: () => {
            // graphql-ws also completes a subscription the user stopped; that one is logged as stopped.
            if (!ended) eventLog.add('completed', label);
            ended = true;
            observer.complete?.();
          },
        },
      );
      return {
        unsubscribe: () => {
          if (!ended) eventLog.add('stopped', label);
          ended = true;
          dispose();
        },
      };
    },
  } as Observable<ExecutionResult>;
}

/** GraphiQL hands us the parsed headers editor on every call, introspection included. */
const fetcher: Fetcher = (rawParams: FetcherParams, opts?: FetcherOpts) => {
  const headers: HeaderMap = opts?.headers ?? {};
  const { params, subscription, label } = analyse(rawParams);
  return subscription ? wsSubscribe(params, headers, label) : httpFetch(params, headers);
};

const DEFAULT_QUERY = `# Welcome to the Switchboard playground.
# The Headers tab holds a demo token: you are signed
# in as the owner of the seeded demo workspace.
# Ctrl-Enter runs; subscriptions use a websocket.
query Welcome {
  viewer {
    user { name role }
    tenant { name }
    scopes
  }
  conversations(first: 5) {
    nodes {
      id channel status name
      lastMessagePreview unreadCount
    }
    pageInfo { hasNextPage endCursor }
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
    // `plugins` replaces GraphiQL's default list, so the history is named again.
    plugins={[HISTORY_PLUGIN, eventLogPlugin]}
  >
    <GraphiQL.Logo>{config.title ?? 'Switchboard'}</GraphiQL.Logo>
    <OpenLogOnSubscribe log={eventLog} />
  </GraphiQL>,
);
