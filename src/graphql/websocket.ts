import {
  createSourceEventStream,
  execute,
  GraphQLError,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { WebSocket } from 'ws';
import { mapAsyncIterator } from '../lib/async-iterators';
import { AppError, ErrorCode } from '../lib/errors';
import { LiveEvent } from '../modules/event/event-stream';
import { refreshContext, type AppContext, type AppDeps } from './context';
import { toClientError } from './errors';
import { requireViewer } from './authorization';
import { limitsRule, tokenLimitRefusal } from './limits';
import { acceptFullFrames } from './ws-frame-limits';
import { LiveConnection } from './live-connection';
import { operationKey } from './shared-execution';

/** What each socket carries besides graphql-ws's own state. */
export interface WsExtra extends Extra {
  connection?: LiveConnection;
}

/**
 * Close code for a connection_init without a token. graphql-ws itself closes with 4403 when
 * onConnect refuses (a bad token), 4408 when connection_init never comes, 4400 on bad messages.
 */
export const WS_UNAUTHORIZED = 4401;

/** Close code when the token of an open connection stops authenticating: the same 4403 as a refused connection_init. */
export const WS_ACCESS_LOST = 4403;

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/**
 * One error as the client sees it, through the same `toClientError` as HTTP. graphql-ws wraps
 * errors thrown by a stream without a path, so the AppError underneath is unwrapped here.
 */
function formatError(error: GraphQLError, where: { connectionId: string; operationId: string }, deps: AppDeps): GraphQLFormattedError {
  const cause = !error.path && error.originalError ? error.originalError : error;
  const { error: formatted, masked } = toClientError(error.toJSON(), cause);
  if (masked) deps.logger.error({ err: error.originalError ?? error, ...where }, 'unexpected error (masked for the client)');
  if (typeof formatted.extensions?.code === 'string') deps.metrics.errors.inc({ code: formatted.extensions.code });
  return formatted;
}

/**
 * A `next` payload serialised once and written as is by every socket that delivers the same
 * result: subscribers sharing an execution (`deps.sharedExecution`) share this string, so a fan-out
 * to N sockets runs JSON.stringify over the result once instead of N times.
 */
class SerialisedPayload {
  constructor(readonly json: string) {}
}

/** The serialised form of each error-free result, by result object (shared results are one object). */
const serialisedResults = new WeakMap<ExecutionResult, SerialisedPayload>();

function serialisedPayload(result: ExecutionResult): SerialisedPayload {
  let payload = serialisedResults.get(result);
  if (!payload) serialisedResults.set(result, (payload = new SerialisedPayload(JSON.stringify(result))));
  return payload;
}

/**
 * graphql-ws builds every frame as `JSON.stringify({ id, type, payload }, replacer)` and hands the
 * string straight to the socket's `send` (graphql-ws 6, dist/server: `socket.send(stringifyMessage(…))`,
 * both in the same synchronous step). The replacer swaps a {@link SerialisedPayload} for a short
 * marker and remembers it; {@link splicingSend} puts the stored JSON in place of the marker. Node 20
 * has no `JSON.rawJSON`, which would make this a one-liner.
 */
const PAYLOAD_MARKER = '\u0000switchboard:serialised-payload';
const MARKED_TAIL = `${JSON.stringify(PAYLOAD_MARKER)}}`;
let pendingPayload: SerialisedPayload | null = null;

function frameReplacer(_key: string, value: unknown): unknown {
  if (value instanceof SerialisedPayload) {
    pendingPayload = value;
    return PAYLOAD_MARKER;
  }
  return value;
}

const wsSend = WebSocket.prototype.send;

/** The socket's `send`, with the marker of the frame just stringified replaced by its payload's JSON (`payload` is the frame's last key). */
function splicingSend(this: WebSocket, data: unknown, ...rest: unknown[]): void {
  const payload = pendingPayload;
  pendingPayload = null;
  if (payload && typeof data === 'string' && data.endsWith(MARKED_TAIL)) data = data.slice(0, -MARKED_TAIL.length) + payload.json + '}';
  return (wsSend as (this: WebSocket, ...args: unknown[]) => void).call(this, data, ...rest);
}

/** Distinct query texts whose parsed document is kept for reuse. */
const MAX_CACHED_DOCUMENTS = 500;

/** The socket's id: the upgrade request's `x-request-id` (the server sets one on every upgrade). */
function connectionIdOf(extra: Extra): string {
  return String(extra.request.headers['x-request-id'] ?? '');
}

/** Errors of a result without a path or cause are request errors (bad variables): BAD_USER_INPUT, as over HTTP. */
function requestErrorCode(error: GraphQLError): GraphQLError {
  return error.path || error.originalError ? error : withCode(error, ErrorCode.BAD_USER_INPUT);
}

/** The context one event is resolved in: a fresh EntityManager fork and loaders, for the viewer the event was authorised for. */
function contextForEvent(base: AppContext, payload: unknown): AppContext | Promise<AppContext> {
  if (payload instanceof LiveEvent) return refreshContext(base, payload.viewer);
  // A subscription over a LiveConnection keeps no viewer of its own (see `subscribe`): authenticate again.
  if (base.live && !base.viewer) return base.live.refresh().then((viewer) => refreshContext(base, viewer));
  return refreshContext(base);
}

/**
 * One subscription event's result: executed in a fresh context for the viewer it was authorised for,
 * or shared with the other subscribers of the same operation whose viewer has the same
 * authorisation (`deps.sharedExecution`); resync notices are per subscription and never shared.
 */
function executeEvent(args: ExecutionArgs, base: AppContext, operation: string | undefined, payload: unknown) {
  const run = () => {
    const contextValue = contextForEvent(base, payload);
    if (contextValue instanceof Promise) return contextValue.then((c) => execute({ ...args, rootValue: payload, contextValue: c }));
    return execute({ ...args, rootValue: payload, contextValue });
  };
  if (operation === undefined || !(payload instanceof LiveEvent) || !payload.event) return run();
  return base.deps.sharedExecution.run(operation, payload.viewer, payload.seq, payload.event.id, run);
}

/**
 * graphql-ws options for /graphql: the token travels in connection_init (`authorization`), an absent
 * one closes the socket with 4401 and an invalid one with 4403; a socket that never sends
 * connection_init is closed after `connectionInitWaitTimeout` (4408). Every operation is validated
 * with the same rules as HTTP (graphql's specified rules + limitsRule), limited to
 * `maxSubscriptionsPerConnection` at once (RATE_LIMITED), runs in a fresh context with a
 * re-authenticated viewer, and every subscription event in yet another fresh context (one per event
 * for all subscribers with the same operation and authorisation). Per-event re-authentication is
 * shared by all connections with the same token (`deps.liveAuth`), released when the socket closes.
 */
export function websocketOptions(deps: AppDeps, schema: GraphQLSchema): ServerOptions<Record<string, unknown>, WsExtra> {
  const { config, logger, metrics } = deps;
  /** Acknowledged sockets, for the subscriptions gauge (read on scrape). */
  const open = new Set<{ subscriptions: Record<string, unknown> }>();
  metrics.countSubscriptionsWith(() => {
    let n = 0;
    for (const ctx of open)
      for (const s of Object.values(ctx.subscriptions)) if (s && typeof s === 'object' && Symbol.asyncIterator in s) n++;
    return n;
  });
  /** Each subscription's operation key (document text, name, variables), by its parsed document. */
  const operationKeys = new WeakMap<ExecutionArgs, string>();
  /**
   * Parsed documents by query text, shared by every subscription sending the same text (thousands
   * of sockets run the same few operations): one AST in memory instead of one per subscription.
   * graphql-js never mutates a document. Bounded; the oldest entry goes first.
   */
  const documents = new Map<string, DocumentNode>();
  return {
    schema,
    connectionInitWaitTimeout: config.connectionInitWaitTimeout,
    jsonMessageReplacer: frameReplacer,
    onConnect: async (ctx) => {
      // One shared function per socket (an own property), not a closure per socket.
      (ctx.extra.socket as { send: unknown }).send = splicingSend;
      const params = ctx.connectionParams ?? {};
      const header = Object.entries(params).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
      if (typeof header !== 'string' || header.trim() === '') {
        ctx.extra.socket.close(WS_UNAUTHORIZED, 'Unauthorized');
        return false;
      }
      // Should the token stop authenticating while the socket is open (revoked, expired, user deactivated).
      const connection = await LiveConnection.open(deps, header, () => ctx.extra.socket.close(WS_ACCESS_LOST, 'Forbidden'));
      if (!connection) return false; // graphql-ws closes with 4403 Forbidden
      ctx.extra.connection = connection;
      acceptFullFrames(ctx.extra.socket, config.limits.maxBodyBytes);
      open.add(ctx);
      // Closed while authenticating: onClose may already have run without a connection to release.
      if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) connection.close();
      return true;
    },
    onClose: (ctx) => {
      open.delete(ctx);
      ctx.extra.connection?.close();
    },
    onSubscribe: async (ctx, _id, payload) => {
      const running = Object.keys(ctx.subscriptions).length; // includes this one
      if (running > config.maxSubscriptionsPerConnection) {
        const limit = config.maxSubscriptionsPerConnection;
        const error = new AppError(
          ErrorCode.RATE_LIMITED,
          `This connection already runs ${limit} operations; complete one before starting another.`,
          { limit },
        );
        return [new GraphQLError(error.message, { originalError: error })];
      }
      let document: DocumentNode;
      try {
        const cached = documents.get(payload.query);
        document = cached ?? parse(payload.query, { maxTokens: config.limits.maxTokens });
        if (!cached) {
          if (documents.size >= MAX_CACHED_DOCUMENTS) documents.delete(documents.keys().next().value!);
          documents.set(payload.query, document);
        }
      } catch (error) {
        const refusal = tokenLimitRefusal({ message: (error as GraphQLError).message });
        if (refusal.extensions) return [new GraphQLError(refusal.message, { extensions: refusal.extensions })];
        return [withCode(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
      }
      const rules = [...specifiedRules, limitsRule(config.limits, payload.variables ?? {})];
      const errors = validate(schema, document, rules);
      if (errors.length) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
      const contextValue = await ctx.extra.connection!.operationContext();
      const operation = getOperationAST(document, payload.operationName);
      logger.info(
        {
          connectionId: connectionIdOf(ctx.extra),
          operationId: _id,
          operationName: payload.operationName ?? operation?.name?.value ?? null,
          operationType: operation?.operation,
        },
        'subscribe',
      );
      if (operation) {
        try {
          requireViewer(contextValue, operation, document);
        } catch (error) {
          return [error as GraphQLError];
        }
      }
      const execArgs: ExecutionArgs = {
        schema,
        document,
        variableValues: payload.variables,
        operationName: payload.operationName,
        contextValue,
      };
      // graphql-ws passes this very object to `subscribe`.
      if (operation?.operation === 'subscription') {
        operationKeys.set(execArgs, operationKey(payload.query, payload.operationName, payload.variables));
      }
      return execArgs;
    },
    subscribe: async (args) => {
      const stream = await createSourceEventStream(args);
      if (!(Symbol.asyncIterator in Object(stream))) return stream as Awaited<ReturnType<typeof execute>>;
      // Every event runs in a context of its own (contextForEvent), so the subscription keeps only
      // what those are made from: not the subscribe step's EntityManager fork (its identity map)
      // nor its loaders, nor its viewer (whose user entity holds that fork), which would otherwise
      // stay on the heap as long as the socket is open. Events carry their own viewer (LiveEvent).
      const { requestId, deps: appDeps, viewer, authError, live } = args.contextValue as AppContext;
      const base: AppContext = {
        requestId,
        deps: appDeps,
        viewer: live ? null : viewer,
        authError,
        live,
        em: appDeps.db.em as AppContext['em'],
        loaders: null,
      };
      args.contextValue = base;
      const operation = operationKeys.get(args);
      const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      return mapAsyncIterator(source, (payload) =>
        metrics.timeFanout(payload instanceof LiveEvent ? payload.event : null, executeEvent(args, base, operation, payload)),
      );
    },
    onNext: (ctx, id, _payload, _args, result) => {
      // graphql-ws only checks the returned payload is truthy and stringifies it; see frameReplacer.
      if (!result.errors?.length) return serialisedPayload(result) as unknown as ExecutionResult;
      const where = { connectionId: connectionIdOf(ctx.extra), operationId: id };
      return { ...result, errors: result.errors.map((e) => formatError(requestErrorCode(e), where, deps)) };
    },
    onError: (ctx, id, _payload, errors) =>
      errors.map((e) => formatError(e, { connectionId: connectionIdOf(ctx.extra), operationId: id }, deps)),
  };
}
