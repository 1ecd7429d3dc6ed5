import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Config } from '../config';
import type { Database } from '../db/orm';
import type { PubSub } from '../pubsub/pubsub';
import type { AdapterRegistry } from '../channels/adapter-registry';
import type { ReactionDelivery } from '../modules/reaction/reaction-delivery';
import type { DeliveryWorker } from '../modules/delivery/delivery.worker';
import type { MediaStorage } from '../storage/media-storage';
import type { RetentionJob } from '../modules/retention/retention.job';
import type { WindowScheduler } from '../modules/window/window.scheduler';
import type { LiveAuth } from './live-auth';
import type { LiveConnection } from './live-connection';
import type { SharedExecution } from './shared-execution';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RequestObservation } from '../observability/request-observation';
import { Errors } from '../lib/errors';
import { authenticate } from '../modules/auth/auth.service';
import { bearerFrom } from '../modules/auth/token';
import type { Viewer } from '../modules/auth/viewer';
import { createLoaders, type Loaders } from './loaders';

/** Long-lived collaborators the server factory builds once and every request shares (read-only). */
export interface AppDeps {
  config: Config;
  db: Database;
  pubsub: PubSub;
  /** Where uploaded media bytes live (a local directory unless the server was given another store). */
  mediaStorage: MediaStorage;
  /** Provider adapters by inbox (`channels.forInbox(inbox)`), for sending, webhooks and capabilities. */
  channels: AdapterRegistry;
  /** The outbound delivery worker: call `delivery.notify()` after committing a send, so it goes now. */
  delivery: DeliveryWorker;
  /** Delivers teammates' reactions to providers: `wake()` after committing one. Absent: reactions are recorded, delivered by the next server that runs it. */
  reactionDelivery?: ReactionDelivery;
  /** Deletes events past the retention period on a timer (started and stopped with the server). */
  retention: RetentionJob;
  /** Appends WINDOW_SHUT when customer-service windows end (started and stopped with the server). */
  windowScheduler: WindowScheduler;
  /** Per-event re-authentication of websocket connections, shared by every connection with the same token. */
  liveAuth: LiveAuth;
  /** One execution per subscription event for subscribers with the same operation and authorisation. */
  sharedExecution: SharedExecution;
  /** The app's logger (pino); lines written while serving a request carry its id. Never log tokens. */
  logger: Logger;
  /** The app's Prometheus metrics (its own registry, scraped at GET /metrics). */
  metrics: Metrics;
  /** Read paths hydrate managed entities instead of read models (the benchmark's A/B only). */
  entityReads?: boolean;
}

/** Per-operation state: a fresh EntityManager fork and fresh loaders; nothing outlives the request. */
export interface AppContext {
  requestId: string;
  deps: AppDeps;
  em: SqlEntityManager;
  viewer: Viewer | null;
  /** Present when authenticated (loaders are scoped to the viewer's tenant and visibility). */
  loaders: Loaders | null;
  /** Set when the request presented a token that did not authenticate (vs. no token at all). */
  authError: 'invalid_token' | null;
  /** The websocket connection an operation runs on (subscriptions re-authenticate through it per event). */
  live?: LiveConnection;
  /** For operations over HTTP: what the access log and the request's span record about it. */
  http?: RequestObservation;
}

/** Builds a context from an Authorization header value (HTTP header or websocket connection_init). */
export async function createContext(
  deps: AppDeps,
  authorization: string | null | undefined,
  requestId: string = randomUUID(),
): Promise<AppContext> {
  const em = deps.db.em.fork() as SqlEntityManager;
  const token = bearerFrom(authorization);
  const viewer = token ? await authenticate(em, token) : null;
  return {
    requestId,
    deps,
    em,
    viewer,
    loaders: viewer ? createLoaders(em, viewer, { entityReads: deps.entityReads }) : null,
    authError: token && !viewer ? 'invalid_token' : authorization && !token ? 'invalid_token' : null,
  };
}

/**
 * A fresh context for the same viewer (or a re-authenticated one): used per subscription event so
 * no state leaks between events.
 */
export function refreshContext(ctx: AppContext, viewer: Viewer | null = ctx.viewer): AppContext {
  const em = ctx.deps.db.em.fork() as SqlEntityManager;
  return { ...ctx, em, viewer, loaders: viewer ? createLoaders(em, viewer, { entityReads: ctx.deps.entityReads }) : null };
}

/** The authenticated viewer and their loaders, or UNAUTHENTICATED. */
export function auth(ctx: AppContext): { viewer: Viewer; loaders: Loaders } {
  if (!ctx.viewer || !ctx.loaders) {
    throw Errors.unauthenticated(
      ctx.authError ? 'The bearer token is invalid, expired or revoked.' : 'Send `Authorization: Bearer <token>`.',
    );
  }
  return { viewer: ctx.viewer, loaders: ctx.loaders };
}
