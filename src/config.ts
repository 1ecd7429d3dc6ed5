import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { DEFAULT_LIMITS, LOG_LEVELS, readVariables, type Values, type VariableName } from './config.table';

// The variables themselves (names, schemas, defaults, meanings) are in ./config.table; this module
// shapes their values into the Config the rest of the code receives.
export {
  ConfigError,
  configHelp,
  DEFAULT_DELIVERY,
  DEFAULT_LIMITS,
  DEFAULT_MEDIA_URL_TTL_SECONDS,
  DEFAULT_UPLOAD_LIMITS,
  LOG_LEVELS,
  parseCorsOrigins,
  type ConfigIssue,
} from './config.table';

/** Everything the process can be told from outside, parsed once at start-up and passed down. */
export interface Config {
  host: string;
  port: number;
  /** `file:…` / a path for SQLite (the embedded default), or `postgres://…` for PostgreSQL. */
  databaseUrl: string;
  /** Where uploaded media, the playground bundle and the default SQLite file live. */
  dataDir: string;
  cacheDir: string;
  /** Seed the demo workspace on start when the database has no tenant yet. */
  seedDemo: boolean;
  /** Log every SQL statement to stderr. */
  logSql: boolean;
  /** Report `extensions.sqlStatements` on responses (tests and the benchmark count queries with it). */
  exposeSqlStats: boolean;
  limits: Limits;
  /**
   * Schema introspection (`__schema`, `__type`) without a token (INTROSPECTION; default on unless
   * NODE_ENV=production). A caller with a valid bearer token may always introspect.
   */
  introspection: boolean;
  /** HMAC key for signed media URLs; random per process unless set, so signed URLs die with it. */
  mediaSigningSecret: string;
  /** How long a signed media URL stays valid. */
  mediaUrlTtlSeconds: number;
  /** Largest upload accepted per media kind, in bytes (enforced while the bytes stream in). */
  uploadLimits: UploadLimits;
  /** Outbound delivery worker and provider callbacks. */
  delivery: DeliveryConfig;
  /** Events older than this are pruned; subscribers resuming from before then get ResyncRequired (EVENT_RETENTION_HOURS). */
  eventRetentionHours: number;
  /** How often the event pruning job runs, in ms; 0 disables it (EVENT_PRUNE_INTERVAL_MS). */
  eventPruneIntervalMs: number;
  /**
   * Webhook receipts (redelivery dedup) and statuses parked for unknown channel message ids older
   * than this are pruned by the same job; keep it past the providers' retry window (WEBHOOK_RETENTION_HOURS).
   */
  webhookRetentionHours: number;
  /** Websocket: ms a socket may stay open without sending connection_init (WS_CONNECTION_INIT_TIMEOUT_MS). */
  connectionInitWaitTimeout: number;
  /** Websocket: operations one connection may run at once (WS_MAX_SUBSCRIPTIONS). */
  maxSubscriptionsPerConnection: number;
  /** Websocket: how often the tokens of open sockets are checked, in ms; a lost one closes them with 4403; 0 disables (WS_ACCESS_CHECK_MS). */
  accessCheckIntervalMs: number;
  /** REDIS_URL: live events and access-change notices go through Redis (several instances); null = in-process. */
  redisUrl: string | null;
  /** Window-shut scheduler: changes due within this many ms are held in memory; the rest come from periodic scans (WINDOW_SCHEDULER_HORIZON_MS). */
  windowSchedulerHorizonMs: number;
  /** Window-shut scheduler: most pending changes held at once (WINDOW_SCHEDULER_MAX_PENDING). */
  windowSchedulerMaxPending: number;
  /** Logs, metrics, tracing and CORS (see src/observability/). */
  observability: ObservabilityConfig;
  /** Encryption of stored provider secrets (see src/lib/secrets.ts). */
  secrets: SecretsConfig;
}

/** Where the key that encrypts stored secrets comes from. */
export interface SecretsConfig {
  /** SECRETS_KEY: base64 32 bytes; null = generated into `<dataDir>/secrets.key` on first start and reused. */
  key: string | null;
  /** SECRETS_KEY_PREVIOUS: comma-separated older keys that still decrypt (during a rotation). */
  previousKeys: string[];
}

/** NODE_ENV as the server reads it: production logs JSON and allows no browser origin by default. */
export type NodeEnv = 'production' | 'development' | 'test';

export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the server reports on itself, and which browser origins may call it. */
export interface ObservabilityConfig {
  /** NODE_ENV (default development). */
  nodeEnv: NodeEnv;
  /** LOG_LEVEL; default info, warn under NODE_ENV=test. */
  logLevel: LogLevel;
  /** CORS_ORIGINS: exact origins browsers may call /graphql and /media from; null = none in production, the server's own origin otherwise. */
  corsOrigins: string[] | null;
  /** METRICS_TOKEN: the bearer token GET /metrics requires; null = /metrics answers loopback clients only. */
  metricsToken: string | null;
  /** OpenTelemetry tracing from the standard OTEL_* variables; null = off (the SDK is not even loaded). */
  tracing: TracingConfig | null;
}

/** Where spans go: the subset of the OpenTelemetry environment variables Switchboard honours. */
export interface TracingConfig {
  /** OTEL_TRACES_EXPORTER: otlp (default) or console. */
  exporter: 'otlp' | 'console';
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces (default http://localhost:4318/v1/traces). */
  url: string;
  /** OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: http/protobuf (the OpenTelemetry default) or http/json. */
  protocol: 'http/protobuf' | 'http/json';
  /** OTEL_EXPORTER_OTLP_(TRACES_)HEADERS: `key=value,…`, e.g. an API key for a hosted collector. */
  headers: Record<string, string>;
  /** OTEL_SERVICE_NAME (default switchboard). */
  serviceName: string;
}

/** How the outbound delivery worker retries, leases and polls. */
export interface DeliveryConfig {
  /** Tries per message (the first send included) before a transient failure becomes FAILED. */
  maxAttempts: number;
  /** Backoff before retry n is a random delay in [0, min(maxBackoffMs, baseBackoffMs * 2^(n-1))]. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** How long a claimed outbox entry stays invisible to other workers; a crashed worker's entries come back after it. */
  leaseMs: number;
  /** Safety-net poll when nothing wakes the worker (sends wake it directly). */
  pollMs: number;
  /** Sends in flight at once per worker. */
  concurrency: number;
  /**
   * How long an uncertain attempt (timeout, network error or 5xx after the request may have reached
   * a provider without idempotency keys, or a crash in the send window) waits for the provider to
   * report it before the message is sent again (DELIVERY_UNCERTAIN_SETTLE_MS).
   */
  uncertainSettleMs: number;
  /** Run the delivery worker in this process (false: an API-only instance; another process delivers). */
  runWorker: boolean;
  /** Base URL providers call back (`<publicUrl>/webhooks/:inboxId`); null = this server's own origin. */
  publicUrl: string | null;
  /** Signs the sandbox provider's callbacks for inboxes without a `webhookSecret` of their own; random per process unless set. */
  sandboxSecret: string;
}

/** Maximum upload size per media kind (keys are the MediaKind values), in bytes. */
export interface UploadLimits {
  image: number;
  video: number;
  audio: number;
  document: number;
  sticker: number;
}

/** Protective limits on what one request may ask of the server. */
export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
  /** Directives (`@include`, `@skip`, …) in one operation, fragments included (MAX_QUERY_DIRECTIVES). */
  maxDirectives: number;
  /** Lexical tokens in one document; a longer one is refused while parsing, before validation (MAX_QUERY_TOKENS). */
  maxTokens: number;
  /** Largest JSON request body, and largest websocket frame once connection_init is acknowledged (MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Largest websocket frame before connection_init is acknowledged (WS_MAX_INIT_PAYLOAD_BYTES). */
  maxWsInitPayloadBytes: number;
  maxPageSize: number;
}

const TRACING_VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_SERVICE_NAME',
] as const satisfies readonly VariableName[];

type TracingValues = Pick<Values, (typeof TRACING_VARIABLES)[number]>;

function tracingFrom(v: TracingValues): TracingConfig | null {
  const asked = !!(v.OTEL_TRACES_EXPORTER || v.OTEL_EXPORTER_OTLP_ENDPOINT || v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (v.OTEL_SDK_DISABLED || v.OTEL_TRACES_EXPORTER === 'none' || !asked) return null;
  const base = v.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  return {
    exporter: v.OTEL_TRACES_EXPORTER ?? 'otlp',
    url: v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${base}/v1/traces`,
    protocol: v.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? v.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: { ...v.OTEL_EXPORTER_OTLP_HEADERS, ...v.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    serviceName: v.OTEL_SERVICE_NAME,
  };
}

/**
 * Tracing is on when the OTEL_* variables ask for it (an OTLP endpoint or a traces exporter) and
 * OTEL_SDK_DISABLED is not true; otherwise null, and the SDK is never loaded. Throws ConfigError.
 */
export function parseTracing(env: NodeJS.ProcessEnv): TracingConfig | null {
  return tracingFrom(readVariables(env, TRACING_VARIABLES));
}

const random = () => randomBytes(32).toString('base64url');

/**
 * Reads the environment into a Config (every variable of ./config.table), then applies `overrides`.
 * Throws one ConfigError listing every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const v = readVariables(env);
  const dataDir = path.resolve(v.DATA_DIR);
  const nodeEnv = v.NODE_ENV;
  return {
    host: v.HOST,
    port: v.PORT,
    databaseUrl: v.DATABASE_URL ?? `file:${path.join(dataDir, 'switchboard.db')}`,
    dataDir,
    cacheDir: path.resolve(v.CACHE_DIR),
    seedDemo: v.SEED_DEMO,
    logSql: v.LOG_SQL,
    exposeSqlStats: v.EXPOSE_SQL_STATS,
    limits: {
      maxDepth: v.MAX_QUERY_DEPTH,
      maxAliases: v.MAX_QUERY_ALIASES,
      maxCost: v.MAX_QUERY_COST,
      maxDirectives: v.MAX_QUERY_DIRECTIVES,
      maxTokens: v.MAX_QUERY_TOKENS,
      maxBodyBytes: v.MAX_BODY_BYTES,
      maxWsInitPayloadBytes: v.WS_MAX_INIT_PAYLOAD_BYTES,
      maxPageSize: DEFAULT_LIMITS.maxPageSize,
    },
    introspection: v.INTROSPECTION ?? nodeEnv !== 'production',
    mediaSigningSecret: v.MEDIA_SIGNING_SECRET ?? random(),
    mediaUrlTtlSeconds: v.MEDIA_URL_TTL_SECONDS,
    uploadLimits: {
      image: v.UPLOAD_MAX_IMAGE_BYTES,
      video: v.UPLOAD_MAX_VIDEO_BYTES,
      audio: v.UPLOAD_MAX_AUDIO_BYTES,
      document: v.UPLOAD_MAX_DOCUMENT_BYTES,
      sticker: v.UPLOAD_MAX_STICKER_BYTES,
    },
    delivery: {
      maxAttempts: v.DELIVERY_MAX_ATTEMPTS,
      baseBackoffMs: v.DELIVERY_BASE_BACKOFF_MS,
      maxBackoffMs: v.DELIVERY_MAX_BACKOFF_MS,
      leaseMs: v.DELIVERY_LEASE_MS,
      pollMs: v.DELIVERY_POLL_MS,
      concurrency: v.DELIVERY_CONCURRENCY,
      uncertainSettleMs: v.DELIVERY_UNCERTAIN_SETTLE_MS,
      runWorker: v.DELIVERY_WORKER,
      publicUrl: v.PUBLIC_URL ?? null,
      sandboxSecret: v.SANDBOX_WEBHOOK_SECRET ?? random(),
    },
    eventRetentionHours: v.EVENT_RETENTION_HOURS,
    eventPruneIntervalMs: v.EVENT_PRUNE_INTERVAL_MS,
    webhookRetentionHours: v.WEBHOOK_RETENTION_HOURS,
    connectionInitWaitTimeout: v.WS_CONNECTION_INIT_TIMEOUT_MS,
    maxSubscriptionsPerConnection: v.WS_MAX_SUBSCRIPTIONS,
    accessCheckIntervalMs: v.WS_ACCESS_CHECK_MS,
    redisUrl: v.REDIS_URL ?? null,
    windowSchedulerHorizonMs: v.WINDOW_SCHEDULER_HORIZON_MS,
    windowSchedulerMaxPending: v.WINDOW_SCHEDULER_MAX_PENDING,
    observability: {
      nodeEnv,
      logLevel: v.LOG_LEVEL ?? (nodeEnv === 'test' ? 'warn' : 'info'),
      corsOrigins: v.CORS_ORIGINS ?? null,
      metricsToken: v.METRICS_TOKEN ?? null,
      tracing: tracingFrom(v),
    },
    secrets: { key: v.SECRETS_KEY ?? null, previousKeys: v.SECRETS_KEY_PREVIOUS },
    ...overrides,
  };
}

/**
 * True when the database is PostgreSQL rather than the embedded SQLite: asked of the configuration
 * (its URL) before connecting, or of an EntityManager (its platform) once connected. The one
 * dialect check; code that only holds an `em` (row locks, advisory locks) asks it too.
 */
export function isPostgres(source: Pick<Config, 'databaseUrl'> | EntityManager): boolean {
  if ('databaseUrl' in source) return /^postgres(ql)?:\/\//.test(source.databaseUrl);
  return source.getPlatform() instanceof PostgreSqlPlatform;
}
