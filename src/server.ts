import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from './config';
import { initDatabase, type Database } from './db/orm';
import { queryStatsStorage, type QueryStats } from './db/query-stats';
import { createContext, type AppContext, type AppDeps } from './graphql/context';
import { toClientError } from './graphql/errors';
import { refuseHttpSubscriptionsPlugin } from './graphql/http-subscriptions';
import { requireViewerPlugin } from './graphql/authorization';
import { costLimitPlugin, limitsRule, tokenLimitRefusal } from './graphql/limits';
import { introspectionGatePlugin } from './graphql/introspection';
import { createLimitedWebSocketServer } from './graphql/ws-frame-limits';
import { LiveAuth } from './graphql/live-auth';
import { AccessChangesPoller, NotifiedAccessChanges, type AccessChanges } from './modules/auth/access-changes';
import { SharedExecution } from './graphql/shared-execution';
import { websocketOptions } from './graphql/websocket';
import { buildAppSchema } from './graphql/schema';
import { ErrorCode } from './lib/errors';
import { observabilityPlugin } from './observability/apollo-plugin';
import { allowedOrigins, corsMiddleware } from './observability/cors';
import { accessLog, observationOf, requestIdFrom } from './observability/http-access-log';
import { countSends, InstrumentedPubSub } from './observability/instrumented-pubsub';
import { createLogger, type Logger } from './observability/logger';
import { Metrics } from './observability/metrics';
import { outboxProbe } from './observability/outbox-probe';
import { createOpsRouter } from './observability/routes';
import { startTracing } from './observability/tracing';
import { AdvisoryLockLeadership, SoleLeadership, type Leadership } from './cluster/leadership';
import { RetentionJob } from './modules/retention/retention.job';
import { WindowScheduler } from './modules/window/window.scheduler';
import type { SandboxCarrier } from './channels/sandbox/sandbox.carrier';
import { createDeliveryRuntime } from './modules/delivery/delivery.runtime';
import { createWebhookRouter } from './modules/delivery/webhook.router';
import { INBOUND_MEDIA_TIMEOUT_MS } from './modules/media/inbound-media.service';
import { createMediaRouter } from './modules/media/media.router';
import { mediaUploadMiddleware } from './modules/media/upload.middleware';
import { createPlaygroundRouter } from './playground/playground';
import { MemoryPubSub } from './pubsub/memory-pubsub';
import { RedisPubSub } from './pubsub/redis-pubsub';
import type { PubSub } from './pubsub/pubsub';
import { LocalMediaStorage } from './storage/local-media-storage';
import type { MediaStorage } from './storage/media-storage';

/**
 * How often a standby instance tries to take over the cluster's background work, and the leader
 * checks that it still holds it: the takeover time after the leader dies.
 */
export const LEADER_RETRY_MS = 1000;

/** How long in-flight HTTP requests may take to finish once the server stops; then their sockets are cut. */
export const HTTP_DRAIN_GRACE_MS = 5000;

/** A running Switchboard server. */
export interface RunningServer {
  /** `http://host:port/graphql` */
  url: string;
  /** `http://host:port` */
  origin: string;
  deps: AppDeps;
  schema: GraphQLSchema;
  /** Whether this instance runs the once-per-cluster work (window-shut events, retention) now. */
  leadership: Leadership;
  /**
   * Stops accepting, drains in-flight HTTP requests (up to {@link HTTP_DRAIN_GRACE_MS}), closes
   * websockets with 1001 (Going Away) and closes the database. `graceMs` (SIGTERM) first lets the
   * delivery worker finish the sends it already started; 0 (the default) abandons them.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface ServerOptions {
  /** Reuse an open database (tests that seed first); otherwise one is opened from config. */
  db?: Database;
  /** Share a pub/sub (tests, or Redis for several instances); otherwise an in-process one. */
  pubsub?: PubSub;
  /** Headers prefilled in the playground (the demo token). */
  playgroundHeaders?: Record<string, string>;
  /**
   * Keep the plugins Apollo installs unless told otherwise (cache control, which hooks every resolved
   * field). Only the benchmark sets this, to measure what disabling them saves.
   */
  apolloDefaultPlugins?: boolean;
  /** Read paths hydrate managed entities instead of read models: only the benchmark sets it, for an A/B. */
  entityReads?: boolean;
  /** Where media bytes go (e.g. an S3-compatible store); otherwise `<dataDir>/media`. */
  mediaStorage?: MediaStorage;
  /** The simulated provider behind sandbox inboxes; pass one to share it across a restart (tests). */
  sandbox?: SandboxCarrier;
  /** Where open websockets learn that their token stopped authenticating; otherwise the database is polled. */
  accessChanges?: AccessChanges;
  /** The app's logger; otherwise one is built from config (tests pass one writing into a buffer). */
  logger?: Logger;
}

type RequestWithStats = Request & { sqlStats?: QueryStats };

/**
 * Builds and starts the whole server: HTTP GraphQL (Apollo on express), graphql-ws subscriptions
 * on the same path, the playground, and media routes. Listens on config.port (0 = any free port).
 */
export async function createServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const schema = await buildAppSchema();
  const logger = options.logger ?? createLogger(config.observability);
  const db = options.db ?? (await initDatabase(config));
  const mediaStorage = options.mediaStorage ?? new LocalMediaStorage(path.join(config.dataDir, 'media'));
  // Uploads a crash cut off left their staging files behind; nothing else will ever remove them.
  await mediaStorage.sweepStaging?.();
  const metrics = new Metrics(outboxProbe(db));
  // Counted and stamped for the fan-out histogram on the way in, whichever transport carries it.
  // Owned here (closed on stop) only when built here: a pub/sub passed in belongs to the caller.
  const ownPubsub = options.pubsub
    ? null
    : config.redisUrl
      ? new RedisPubSub(config.redisUrl, { logger: logger.child({ component: 'redis-pubsub' }) })
      : null;
  const pubsub = new InstrumentedPubSub(options.pubsub ?? ownPubsub ?? new MemoryPubSub(), metrics);
  const tracing = config.observability.tracing ? await startTracing(config.observability.tracing) : null;
  const delivery = createDeliveryRuntime(config, db, pubsub, { sandbox: options.sandbox, logger, mediaStorage });
  countSends(delivery.channels, metrics);
  const retention = new RetentionJob(db, {
    retentionHours: config.eventRetentionHours,
    webhookRetentionHours: config.webhookRetentionHours,
    intervalMs: config.eventPruneIntervalMs,
    logger: logger.child({ component: 'retention' }),
  });
  const windowScheduler = new WindowScheduler(
    { db, pubsub, logger: logger.child({ component: 'window-scheduler' }) },
    { horizonMs: config.windowSchedulerHorizonMs, maxScheduled: config.windowSchedulerMaxPending },
  );
  // Window-shut events and retention run on one instance of those sharing a PostgreSQL database.
  const leadership: Leadership =
    db.dialect === 'postgresql'
      ? new AdvisoryLockLeadership(db, {
          name: 'switchboard:background-leader',
          intervalMs: LEADER_RETRY_MS,
          logger: logger.child({ component: 'leadership' }),
        })
      : new SoleLeadership();
  const liveAuth = new LiveAuth(db);
  const accessLogger = logger.child({ component: 'access-changes' });
  const accessError = (err: unknown) => accessLogger.error({ err }, 'access check failed');
  const accessChanges =
    options.accessChanges ??
    new NotifiedAccessChanges(pubsub, new AccessChangesPoller(db, config.accessCheckIntervalMs, accessError), accessError);
  const deps: AppDeps = {
    config,
    db,
    pubsub,
    mediaStorage,
    channels: delivery.channels,
    delivery: delivery.worker,
    reactionDelivery: delivery.reactions,
    retention,
    windowScheduler,
    liveAuth,
    sharedExecution: new SharedExecution(),
    logger,
    metrics,
    entityReads: options.entityReads,
  };
  const validationRules = [limitsRule(config.limits)];

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const wsServer = createLimitedWebSocketServer(httpServer, '/graphql', {
    maxPayload: config.limits.maxBodyBytes,
    maxInitPayload: config.limits.maxWsInitPayloadBytes,
  });
  const wsCleanup = useServer(websocketOptions(deps, schema), wsServer);
  wsServer.on('connection', (socket, req) => {
    // The socket's id, on every line about it and its operations (websocket.ts reads it back).
    const connectionId = requestIdFrom(req.headers['x-request-id']);
    req.headers['x-request-id'] = connectionId;
    const openedAt = Date.now();
    metrics.websockets.inc();
    logger.info({ connectionId, path: req.url?.split('?')[0] }, 'websocket connected');
    socket.once('close', (code) => {
      metrics.websockets.dec();
      logger.info({ connectionId, code, durationMs: Date.now() - openedAt }, 'websocket closed');
    });
  });

  const apollo = new ApolloServer<AppContext>({
    schema,
    validationRules,
    // Anonymous introspection is gated by introspectionGatePlugin: Apollo's switch would refuse token holders too.
    introspection: true,
    // A document longer than this is refused while lexing, before it is parsed into an AST or validated.
    parseOptions: { maxTokens: config.limits.maxTokens },
    includeStacktraceInErrorResponses: false,
    // The process owner (src/main.ts) handles SIGTERM/SIGINT: Apollo's own handler would stop it
    // behind the server's back and re-raise the signal mid-shutdown.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => toClientError(tokenLimitRefusal(formatted), error).error,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: HTTP_DRAIN_GRACE_MS }),
      ApolloServerPluginLandingPageDisabled(),
      requireViewerPlugin(),
      introspectionGatePlugin(config.introspection),
      costLimitPlugin(config.limits),
      refuseHttpSubscriptionsPlugin(),
      observabilityPlugin({ config, logger, metrics, tracing }),
      // No cache hints are used; left installed, Apollo's cache-control plugin wraps every field resolver.
      ...(options.apolloDefaultPlugins ? [] : [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginInlineTraceDisabled()]),
      {
        async serverWillStart() {
          return { drainServer: async () => void (await wsCleanup.dispose()) };
        },
      },
    ],
  });

  let apolloStarted = false;
  let stopping = false;
  /** Stops everything, in this order; each step is a no-op for a part that never started. */
  const shutdown = async (graceMs = 0) => {
    stopping = true;
    await delivery.worker.stop(graceMs);
    await delivery.stop();
    await leadership.stop();
    await windowScheduler.stop();
    await retention.stop();
    await accessChanges.stop();
    // Apollo's drain closes the websocket and HTTP servers; before Apollo started, close them here.
    if (apolloStarted) await apollo.stop();
    else await Promise.all([wsCleanup.dispose(), new Promise<void>((resolve) => httpServer.close(() => resolve()))]);
    await ownPubsub?.close();
    if (!options.db) await db.orm.close(true);
    await tracing?.shutdown();
  };
  /** Starting is all-or-nothing: a step that fails stops whatever started before it, then rethrows. */
  const orUndo = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (err) {
      await shutdown().catch((cleanupErr) => logger.error({ err: cleanupErr }, 'stopping after a failed start failed too'));
      throw err;
    }
  };

  await orUndo(() => apollo.start());
  apolloStarted = true;

  let origin: string | null = null;
  app.use(accessLog(logger, tracing));
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.use(createOpsRouter({ db, pubsub, metrics, logger, metricsToken: config.observability.metricsToken, stopping: () => stopping }));
  // Browsers on other origins may call the API and fetch media; webhooks come from servers, not pages.
  app.use(['/graphql', '/media'], corsMiddleware(allowedOrigins(config.observability, () => origin)));
  app.use(createMediaRouter(deps));
  app.use(
    createWebhookRouter({
      db,
      pubsub,
      channels: delivery.channels,
      maxBodyBytes: config.limits.maxBodyBytes,
      inboundMedia: {
        db,
        storage: mediaStorage,
        limits: config.uploadLimits,
        timeoutMs: INBOUND_MEDIA_TIMEOUT_MS,
        logger: logger.child({ component: 'inbound-media' }),
      },
      logger: logger.child({ component: 'webhook' }),
      metrics,
    }),
  );
  app.use(
    await orUndo(() =>
      createPlaygroundRouter({
        graphqlPath: '/graphql',
        defaultHeaders: options.playgroundHeaders,
        title: 'Switchboard',
        cacheDir: config.cacheDir,
      }),
    ),
  );
  app.use(
    '/graphql',
    (req: RequestWithStats, _res: Response, next: NextFunction) => {
      // Everything this request awaits runs inside this store, so the ORM logger can count its SQL.
      const stats: QueryStats = { count: 0 };
      req.sqlStats = stats;
      queryStatsStorage.run(stats, next);
    },
    mediaUploadMiddleware(config),
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const http = observationOf(res);
        return { ...(await createContext(deps, req.headers.authorization, http.requestId)), http };
      },
    }),
  );
  app.use((err: Error & { type?: string; status?: number }, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err.type === 'entity.too.large') {
      res.status(413).json({
        errors: [
          { message: `Request body exceeds ${config.limits.maxBodyBytes} bytes.`, extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE } },
        ],
      });
      return;
    }
    if (err.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const requestId = observationOf(res)?.requestId ?? randomUUID();
    logger.error({ err, requestId, method: req.method, path: req.path, headers: req.headers }, 'unexpected error');
    res
      .status(500)
      .json({ errors: [{ message: 'Internal server error.', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId } }] });
  });

  await orUndo(
    () =>
      new Promise<void>((resolve, reject) => {
        // A port in use arrives as an 'error' event, not as a callback error.
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      }),
  );
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  origin = `http://${host}:${port}`;
  await orUndo(async () => {
    delivery.start(origin);
    accessChanges.start(liveAuth);
    await leadership.start({
      lead: async () => {
        retention.start();
        await windowScheduler.start();
      },
      stepDown: async () => {
        await windowScheduler.stop();
        await retention.stop();
      },
    });
  });

  let closed: Promise<void> | null = null;
  return {
    url: `${origin}/graphql`,
    origin,
    deps,
    schema,
    leadership,
    close: (opts) => (closed ??= shutdown(opts?.graceMs)),
  };
}
