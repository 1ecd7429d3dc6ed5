import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { parseDatabaseUrl } from './db/database-url';
import { parseSecretKey } from './lib/secrets';

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

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
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

export const DEFAULT_DELIVERY: Omit<DeliveryConfig, 'publicUrl' | 'sandboxSecret'> = {
  maxAttempts: 5,
  baseBackoffMs: 1000,
  maxBackoffMs: 5 * 60_000,
  leaseMs: 60_000,
  pollMs: 5000,
  concurrency: 8,
  uncertainSettleMs: 5 * 60_000,
  runWorker: true,
};

/** Maximum upload size per media kind (keys are the MediaKind values), in bytes. */
export interface UploadLimits {
  image: number;
  video: number;
  audio: number;
  document: number;
  sticker: number;
}

const MB = 1024 * 1024;

/** The WhatsApp-style limits: generous enough for every channel we send to. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  document: 100 * MB,
  sticker: 500 * 1024,
};

export const DEFAULT_MEDIA_URL_TTL_SECONDS = 3600;

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

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 30,
  maxCost: 50_000,
  maxDirectives: 50,
  maxTokens: 15_000,
  maxBodyBytes: 1024 * 1024,
  maxWsInitPayloadBytes: 16 * 1024,
  maxPageSize: 100,
};

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be a boolean (true/false), got "${raw}"`);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase() as T;
  if (!allowed.includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value;
}

/** CORS_ORIGINS: a comma-separated list of exact origins (`https://app.example.com`), never `*`. */
export function parseCorsOrigins(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((origin) => {
      if (origin === '*') throw new Error('CORS_ORIGINS lists exact origins; "*" is not allowed (credentialed requests may not use it)');
      let url: URL | null = null;
      try {
        url = new URL(origin);
      } catch {
        // reported below
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== origin)
        throw new Error(`CORS_ORIGINS entries must be origins like https://app.example.com (scheme, host, port; no path), got "${origin}"`);
      return origin;
    });
}

/** `key=value,key2=value2` (OTEL_EXPORTER_OTLP_HEADERS), values URL-decoded as the specification says. */
function otelHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

/**
 * Tracing is on when the OTEL_* variables ask for it (an OTLP endpoint or a traces exporter) and
 * OTEL_SDK_DISABLED is not true; otherwise null, and the SDK is never loaded.
 */
export function parseTracing(env: NodeJS.ProcessEnv): TracingConfig | null {
  if (bool(env, 'OTEL_SDK_DISABLED', false)) return null;
  const exporter = oneOf(env, 'OTEL_TRACES_EXPORTER', ['otlp', 'console', 'none'] as const, 'otlp');
  const asked = !!(env.OTEL_TRACES_EXPORTER || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (exporter === 'none' || !asked) return null;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base ? `${base}/v1/traces` : 'http://localhost:4318/v1/traces');
  try {
    new URL(url);
  } catch {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be a URL, got "${url}"`);
  }
  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  return {
    exporter,
    url,
    protocol: oneOf(env, protocolVar, ['http/protobuf', 'http/json'] as const, 'http/protobuf'),
    headers: { ...otelHeaders(env.OTEL_EXPORTER_OTLP_HEADERS), ...otelHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    serviceName: env.OTEL_SERVICE_NAME || 'switchboard',
  };
}

function observabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['production', 'development', 'test'] as const, 'development');
  return {
    nodeEnv,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'warn' : 'info'),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    metricsToken: env.METRICS_TOKEN || null,
    tracing: parseTracing(env),
  };
}

/** SECRETS_KEY and SECRETS_KEY_PREVIOUS, checked to be 32-byte base64 keys. */
function secretsConfig(env: NodeJS.ProcessEnv): SecretsConfig {
  const key = env.SECRETS_KEY?.trim() || null;
  const previousKeys = (env.SECRETS_KEY_PREVIOUS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (key) parseSecretKey('SECRETS_KEY', key);
  for (const k of previousKeys) parseSecretKey('SECRETS_KEY_PREVIOUS', k);
  return { key, previousKeys };
}

/** Reads the environment into a Config; throws with the variable's name on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = path.resolve(env.DATA_DIR ?? 'data');
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 4000),
    databaseUrl: parseDatabaseUrl(env.DATABASE_URL || `file:${path.join(dataDir, 'switchboard.db')}`),
    dataDir,
    cacheDir: path.resolve(env.CACHE_DIR ?? '.cache'),
    seedDemo: bool(env, 'SEED_DEMO', true),
    logSql: bool(env, 'LOG_SQL', false),
    exposeSqlStats: bool(env, 'EXPOSE_SQL_STATS', false),
    limits: {
      maxDepth: int(env, 'MAX_QUERY_DEPTH', DEFAULT_LIMITS.maxDepth),
      maxAliases: int(env, 'MAX_QUERY_ALIASES', DEFAULT_LIMITS.maxAliases),
      maxCost: int(env, 'MAX_QUERY_COST', DEFAULT_LIMITS.maxCost),
      maxDirectives: int(env, 'MAX_QUERY_DIRECTIVES', DEFAULT_LIMITS.maxDirectives),
      maxTokens: int(env, 'MAX_QUERY_TOKENS', DEFAULT_LIMITS.maxTokens),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
      maxWsInitPayloadBytes: int(env, 'WS_MAX_INIT_PAYLOAD_BYTES', DEFAULT_LIMITS.maxWsInitPayloadBytes),
      maxPageSize: DEFAULT_LIMITS.maxPageSize,
    },
    introspection: bool(env, 'INTROSPECTION', env.NODE_ENV !== 'production'),
    mediaSigningSecret: env.MEDIA_SIGNING_SECRET || randomBytes(32).toString('base64url'),
    mediaUrlTtlSeconds: int(env, 'MEDIA_URL_TTL_SECONDS', DEFAULT_MEDIA_URL_TTL_SECONDS),
    uploadLimits: {
      image: int(env, 'UPLOAD_MAX_IMAGE_BYTES', DEFAULT_UPLOAD_LIMITS.image),
      video: int(env, 'UPLOAD_MAX_VIDEO_BYTES', DEFAULT_UPLOAD_LIMITS.video),
      audio: int(env, 'UPLOAD_MAX_AUDIO_BYTES', DEFAULT_UPLOAD_LIMITS.audio),
      document: int(env, 'UPLOAD_MAX_DOCUMENT_BYTES', DEFAULT_UPLOAD_LIMITS.document),
      sticker: int(env, 'UPLOAD_MAX_STICKER_BYTES', DEFAULT_UPLOAD_LIMITS.sticker),
    },
    delivery: {
      maxAttempts: Math.max(1, int(env, 'DELIVERY_MAX_ATTEMPTS', DEFAULT_DELIVERY.maxAttempts)),
      baseBackoffMs: int(env, 'DELIVERY_BASE_BACKOFF_MS', DEFAULT_DELIVERY.baseBackoffMs),
      maxBackoffMs: int(env, 'DELIVERY_MAX_BACKOFF_MS', DEFAULT_DELIVERY.maxBackoffMs),
      leaseMs: Math.max(1, int(env, 'DELIVERY_LEASE_MS', DEFAULT_DELIVERY.leaseMs)),
      pollMs: Math.max(1, int(env, 'DELIVERY_POLL_MS', DEFAULT_DELIVERY.pollMs)),
      concurrency: Math.max(1, int(env, 'DELIVERY_CONCURRENCY', DEFAULT_DELIVERY.concurrency)),
      uncertainSettleMs: int(env, 'DELIVERY_UNCERTAIN_SETTLE_MS', DEFAULT_DELIVERY.uncertainSettleMs),
      runWorker: bool(env, 'DELIVERY_WORKER', DEFAULT_DELIVERY.runWorker),
      publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : null,
      sandboxSecret: env.SANDBOX_WEBHOOK_SECRET || randomBytes(32).toString('base64url'),
    },
    eventRetentionHours: int(env, 'EVENT_RETENTION_HOURS', 168),
    eventPruneIntervalMs: int(env, 'EVENT_PRUNE_INTERVAL_MS', 60 * 60_000),
    webhookRetentionHours: int(env, 'WEBHOOK_RETENTION_HOURS', 168),
    connectionInitWaitTimeout: int(env, 'WS_CONNECTION_INIT_TIMEOUT_MS', 3000),
    maxSubscriptionsPerConnection: int(env, 'WS_MAX_SUBSCRIPTIONS', 20),
    accessCheckIntervalMs: int(env, 'WS_ACCESS_CHECK_MS', 500),
    windowSchedulerHorizonMs: Math.max(1000, int(env, 'WINDOW_SCHEDULER_HORIZON_MS', 60 * 60_000)),
    windowSchedulerMaxPending: Math.max(1, int(env, 'WINDOW_SCHEDULER_MAX_PENDING', 10_000)),
    observability: observabilityConfig(env),
    secrets: secretsConfig(env),
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
