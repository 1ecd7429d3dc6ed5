import { z } from 'zod';
import type { DeliveryConfig, Limits, UploadLimits } from './config';
import { parseDatabaseUrl } from './db/database-url';
import { parseSecretKey } from './lib/secrets';

// The one table of environment variables. loadConfig (src/config.ts) reads it, `npm start -- --help`
// prints it, and the README's configuration table is generated from it (`npm run config:docs`;
// test/unit/config-table.test.ts fails on drift). Adding a variable = one entry here + where it lands
// in loadConfig.

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

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** How a bad value is echoed back in an error: as given, hidden entirely, or as a URL with its password hidden. */
export type Echo = 'plain' | 'hidden' | 'url';

/** The headings `--help` groups variables under, in order. */
export const GROUPS = [
  'Server',
  'Limits',
  'Media',
  'Delivery',
  'Events and websockets',
  'Logs, metrics, CORS',
  'Tracing',
  'Secrets',
] as const;
export type Group = (typeof GROUPS)[number];

/** One environment variable: how its text is read, what it defaults to, and what it is for. */
export interface Variable<T> {
  group: Group;
  /** Dotted path of the Config field it sets (test/unit/config-table.test.ts checks each one lands there). */
  lands: string;
  /** Meaning, one line of Markdown (`--help` drops the backticks). */
  doc: string;
  /** The default as documented. */
  defaultDoc: string;
  /** A valid value other than the default (the table test sets it and expects Config to change at `lands`). */
  example: string;
  echo: Echo;
  /** Raw text → value. Unset and blank (`PORT=`) both mean "the default"; issue messages start with "must …". */
  schema: z.ZodType<T, string | undefined>;
}

interface Meta {
  group: Group;
  lands: string;
  doc: string;
  example: string;
  echo?: Echo;
  /** When the default is not a plain value (random, computed from another variable, off). */
  defaultDoc?: string;
}

// `PORT=` in an env file or compose file means "not set", as it does for most servers.
const blankAsUnset = z
  .string()
  .optional()
  .transform((s) => s?.trim() || undefined);

function variable<T>(meta: Meta, parser: z.ZodType<T, string>, fallback: T): Variable<T>;
function variable<T>(meta: Meta, parser: z.ZodType<T, string>): Variable<T | undefined>;
function variable<T>(meta: Meta, parser: z.ZodType<T, string>, fallback?: T): Variable<T | undefined> {
  return {
    group: meta.group,
    lands: meta.lands,
    doc: meta.doc,
    example: meta.example,
    echo: meta.echo ?? 'plain',
    defaultDoc:
      meta.defaultDoc ?? (fallback === undefined ? 'unset' : `\`${Array.isArray(fallback) ? fallback.join(',') : String(fallback)}\``),
    schema: blankAsUnset.pipe(parser.optional()).transform((value) => value ?? fallback),
  };
}

/** A whole number ≥ `min`, digits only ("1e3", "1.5", "-1" and "10ms" are refused). */
function integer(min = 0) {
  const expected = min === 0 ? 'must be a non-negative integer' : `must be an integer ≥ ${min}`;
  return z
    .string()
    .regex(/^\d+$/, expected)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min, expected);
}

const TRUE = /^(1|true|yes|on)$/i;
const boolean = z
  .string()
  .regex(/^(1|true|yes|on|0|false|no|off)$/i, 'must be true or false (or 1/0, yes/no, on/off)')
  .transform((s) => TRUE.test(s));

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, `must be one of ${values.join(', ')}`));
}

const text = z.string();

/** One operation limit: a whole number defaulting to {@link DEFAULT_LIMITS} (the page size cap is fixed, not a setting). */
function limit(key: Exclude<keyof Limits, 'maxPageSize'>, doc: string, example: string): Variable<number> {
  return variable({ group: 'Limits', lands: `limits.${key}`, doc, example }, integer(), DEFAULT_LIMITS[key]);
}

/** The byte cap of one kind of upload (the five `UPLOAD_MAX_*_BYTES` differ only in kind and wording). */
function uploadLimit(kind: keyof UploadLimits, doc: string): Variable<number> {
  return variable({ group: 'Media', lands: `uploadLimits.${kind}`, doc, example: '1048576' }, integer(), DEFAULT_UPLOAD_LIMITS[kind]);
}

const httpUrl = z.string().refine((s) => {
  try {
    return /^https?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL like https://example.com');

const redisUrl = z.string().refine((s) => {
  try {
    return /^rediss?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'must be a Redis URL like redis://127.0.0.1:6379 (or rediss:// for TLS)');

/** Adapts a checker that throws `Error("<NAME> must …")` (shared with code outside the config) to a schema. */
function checkedBy<T>(check: (raw: string) => T) {
  return z.string().transform((raw, ctx) => {
    try {
      return check(raw);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

const commaList = (s: string) =>
  s
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** CORS_ORIGINS: a comma-separated list of exact origins (`https://app.example.com`), never `*`. */
export function parseCorsOrigins(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  return commaList(raw).map((origin) => {
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
function parseOtelHeaders(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of commaList(raw)) {
    const at = pair.indexOf('=');
    let entry: [string, string] | null = null;
    try {
      if (at > 0) entry = [decodeURIComponent(pair.slice(0, at).trim()), decodeURIComponent(pair.slice(at + 1).trim())];
    } catch {
      // reported below
    }
    // The pair itself is not echoed: it usually holds an API key.
    if (!entry) throw new Error('must be key=value pairs separated by commas (values URL-encoded)');
    headers[entry[0]] = entry[1];
  }
  return headers;
}

const secretKey = (name: string) => checkedBy((raw) => (parseSecretKey(name, raw), raw));

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const EXAMPLE_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

/**
 * Every variable Switchboard reads. Order is the order of `--help` and the README table within
 * each group.
 */
export const VARIABLES = {
  HOST: variable(
    { group: 'Server', lands: 'host', doc: 'Address the HTTP and websocket server listens on', example: '0.0.0.0' },
    text,
    '127.0.0.1',
  ),
  PORT: variable({ group: 'Server', lands: 'port', doc: 'Port it listens on (`0`: any free port)', example: '8080' }, integer(), 4000),
  DATABASE_URL: variable(
    {
      group: 'Server',
      lands: 'databaseUrl',
      doc: 'SQLite: `file:<path>`, a path or `:memory:`; PostgreSQL: `postgres://user@host:5432/db`. Other schemes are refused',
      defaultDoc: '`file:<DATA_DIR>/switchboard.db`',
      example: 'postgres://postgres@127.0.0.1:5432/switchboard',
      echo: 'url',
    },
    checkedBy(parseDatabaseUrl),
  ),
  DATA_DIR: variable(
    {
      group: 'Server',
      lands: 'dataDir',
      doc: 'SQLite file, uploaded media, the saved demo token, the generated secrets key',
      example: '/srv/switchboard',
    },
    text,
    'data',
  ),
  CACHE_DIR: variable(
    { group: 'Server', lands: 'cacheDir', doc: 'Playground bundle built by `npm start`', example: '/tmp/switchboard-cache' },
    text,
    '.cache',
  ),
  SEED_DEMO: variable(
    {
      group: 'Server',
      lands: 'seedDemo',
      doc: 'Seed the demo workspace when the database has no tenant, and print a demo token',
      example: 'false',
    },
    boolean,
    true,
  ),
  LOG_SQL: variable({ group: 'Server', lands: 'logSql', doc: 'Log every SQL statement', example: 'true' }, boolean, false),
  EXPOSE_SQL_STATS: variable(
    {
      group: 'Server',
      lands: 'exposeSqlStats',
      doc: 'Add `extensions.sqlStatements` to responses (tests and the benchmark use it)',
      example: 'true',
    },
    boolean,
    false,
  ),
  INTROSPECTION: variable(
    {
      group: 'Server',
      lands: 'introspection',
      doc: 'Schema introspection without a token (with a valid token it always works)',
      defaultDoc: '`true`, `false` when `NODE_ENV=production`',
      example: 'false',
    },
    boolean,
  ),

  MAX_QUERY_DEPTH: limit('maxDepth', 'Deepest selection allowed', '20'),
  MAX_QUERY_ALIASES: limit('maxAliases', 'Aliases allowed in one operation', '60'),
  MAX_QUERY_COST: limit('maxCost', 'Fields × page sizes allowed in one operation', '100000'),
  MAX_QUERY_DIRECTIVES: limit('maxDirectives', 'Directives allowed in one operation (fragments included)', '100'),
  MAX_QUERY_TOKENS: limit('maxTokens', 'Lexical tokens in one document; a longer one is refused before it is validated', '30000'),
  MAX_BODY_BYTES: limit('maxBodyBytes', 'Largest JSON request body, and largest websocket message after `connection_ack`', '2097152'),
  WS_MAX_INIT_PAYLOAD_BYTES: limit(
    'maxWsInitPayloadBytes',
    'Largest websocket message before `connection_ack` (larger: closed with 1009)',
    '32768',
  ),

  UPLOAD_MAX_IMAGE_BYTES: uploadLimit('image', 'Largest image upload (5 MiB), enforced while streaming'),
  UPLOAD_MAX_VIDEO_BYTES: uploadLimit('video', 'Largest video upload (16 MiB)'),
  UPLOAD_MAX_AUDIO_BYTES: uploadLimit('audio', 'Largest audio upload (16 MiB)'),
  UPLOAD_MAX_DOCUMENT_BYTES: uploadLimit('document', 'Largest document upload (100 MiB)'),
  UPLOAD_MAX_STICKER_BYTES: uploadLimit('sticker', 'Largest sticker upload (500 KiB)'),
  MEDIA_SIGNING_SECRET: variable(
    {
      group: 'Media',
      lands: 'mediaSigningSecret',
      doc: 'HMAC key of signed media URLs (set it to keep URLs valid across restarts)',
      defaultDoc: 'random per process',
      example: 'a-long-random-string',
      echo: 'hidden',
    },
    text,
  ),
  MEDIA_URL_TTL_SECONDS: variable(
    { group: 'Media', lands: 'mediaUrlTtlSeconds', doc: 'Lifetime of a signed media URL', example: '600' },
    integer(),
    DEFAULT_MEDIA_URL_TTL_SECONDS,
  ),

  DELIVERY_WORKER: variable(
    {
      group: 'Delivery',
      lands: 'delivery.runWorker',
      doc: 'Run the delivery worker in this process (`false`: API only)',
      example: 'false',
    },
    boolean,
    DEFAULT_DELIVERY.runWorker,
  ),
  DELIVERY_MAX_ATTEMPTS: variable(
    { group: 'Delivery', lands: 'delivery.maxAttempts', doc: 'Attempts before a temporarily failing message becomes FAILED', example: '3' },
    integer(1),
    DEFAULT_DELIVERY.maxAttempts,
  ),
  DELIVERY_BASE_BACKOFF_MS: variable(
    {
      group: 'Delivery',
      lands: 'delivery.baseBackoffMs',
      doc: 'First retry backoff; doubles per attempt, with full jitter',
      example: '500',
    },
    integer(),
    DEFAULT_DELIVERY.baseBackoffMs,
  ),
  DELIVERY_MAX_BACKOFF_MS: variable(
    { group: 'Delivery', lands: 'delivery.maxBackoffMs', doc: 'Longest backoff between attempts', example: '60000' },
    integer(),
    DEFAULT_DELIVERY.maxBackoffMs,
  ),
  DELIVERY_LEASE_MS: variable(
    {
      group: 'Delivery',
      lands: 'delivery.leaseMs',
      doc: "How long a claimed send stays invisible to other workers (a crashed worker's come back after it)",
      example: '30000',
    },
    integer(1),
    DEFAULT_DELIVERY.leaseMs,
  ),
  DELIVERY_POLL_MS: variable(
    { group: 'Delivery', lands: 'delivery.pollMs', doc: 'Safety-net poll of the outbox (sends wake the worker directly)', example: '1000' },
    integer(1),
    DEFAULT_DELIVERY.pollMs,
  ),
  DELIVERY_CONCURRENCY: variable(
    { group: 'Delivery', lands: 'delivery.concurrency', doc: 'Sends in flight at once per worker', example: '2' },
    integer(1),
    DEFAULT_DELIVERY.concurrency,
  ),
  DELIVERY_UNCERTAIN_SETTLE_MS: variable(
    {
      group: 'Delivery',
      lands: 'delivery.uncertainSettleMs',
      doc: 'How long a send with an unknown outcome waits for the provider to report it before it is sent again',
      example: '60000',
    },
    integer(),
    DEFAULT_DELIVERY.uncertainSettleMs,
  ),
  PUBLIC_URL: variable(
    {
      group: 'Delivery',
      lands: 'delivery.publicUrl',
      doc: 'Base URL providers call back (`/webhooks/:inboxId`)',
      defaultDoc: 'the listen address',
      example: 'https://switchboard.example.com',
    },
    httpUrl.transform((s) => s.replace(/\/+$/, '')),
  ),
  SANDBOX_WEBHOOK_SECRET: variable(
    {
      group: 'Delivery',
      lands: 'delivery.sandboxSecret',
      doc: 'HMAC key the sandbox provider signs its callbacks with',
      defaultDoc: 'random per process',
      example: 'another-long-random-string',
      echo: 'hidden',
    },
    text,
  ),

  EVENT_RETENTION_HOURS: variable(
    {
      group: 'Events and websockets',
      lands: 'eventRetentionHours',
      doc: 'How long the event log keeps events for resuming subscriptions',
      example: '24',
    },
    integer(),
    168,
  ),
  EVENT_PRUNE_INTERVAL_MS: variable(
    {
      group: 'Events and websockets',
      lands: 'eventPruneIntervalMs',
      doc: 'How often old events and webhook receipts are pruned (`0`: never)',
      example: '60000',
    },
    integer(),
    60 * 60_000,
  ),
  WEBHOOK_RETENTION_HOURS: variable(
    {
      group: 'Events and websockets',
      lands: 'webhookRetentionHours',
      doc: "How long webhook receipts (provider event dedupe) and parked early statuses are kept; keep it past the providers' retry window",
      example: '72',
    },
    integer(),
    168,
  ),
  WS_CONNECTION_INIT_TIMEOUT_MS: variable(
    {
      group: 'Events and websockets',
      lands: 'connectionInitWaitTimeout',
      doc: 'A websocket that sends no `connection_init` within it is closed (4408)',
      example: '10000',
    },
    integer(),
    3000,
  ),
  WS_MAX_SUBSCRIPTIONS: variable(
    {
      group: 'Events and websockets',
      lands: 'maxSubscriptionsPerConnection',
      doc: 'Operations one websocket may run at once',
      example: '5',
    },
    integer(),
    20,
  ),
  REDIS_URL: variable(
    {
      group: 'Events and websockets',
      lands: 'redisUrl',
      doc: 'Redis carrying live events and access changes between instances (`redis://` or `rediss://`); unset: in-process, one instance',
      defaultDoc: 'unset (in-process)',
      example: 'redis://127.0.0.1:6379',
      echo: 'url',
    },
    redisUrl,
  ),
  WS_ACCESS_CHECK_MS: variable(
    {
      group: 'Events and websockets',
      lands: 'accessCheckIntervalMs',
      doc: 'How often the tokens of open websockets are re-checked; a revoked one closes them with 4403 (`0`: never)',
      example: '0',
    },
    integer(),
    500,
  ),
  WINDOW_SCHEDULER_HORIZON_MS: variable(
    {
      group: 'Events and websockets',
      lands: 'windowSchedulerHorizonMs',
      doc: 'How far ahead window-shut events are held in memory',
      example: '600000',
    },
    integer(1000),
    60 * 60_000,
  ),
  WINDOW_SCHEDULER_MAX_PENDING: variable(
    {
      group: 'Events and websockets',
      lands: 'windowSchedulerMaxPending',
      doc: 'Most window-shut events held in memory at once',
      example: '100',
    },
    integer(1),
    10_000,
  ),

  NODE_ENV: variable(
    {
      group: 'Logs, metrics, CORS',
      lands: 'observability.nodeEnv',
      doc: '`production`: JSON logs, no default CORS origin, no introspection without a token; `test`: quiet logs',
      example: 'production',
    },
    oneOf(['production', 'development', 'test']),
    'development',
  ),
  LOG_LEVEL: variable(
    {
      group: 'Logs, metrics, CORS',
      lands: 'observability.logLevel',
      doc: '`fatal` `error` `warn` `info` `debug` `trace` `silent`',
      defaultDoc: '`info` (`warn` under `NODE_ENV=test`)',
      example: 'debug',
    },
    oneOf(LOG_LEVELS),
  ),
  CORS_ORIGINS: variable(
    {
      group: 'Logs, metrics, CORS',
      lands: 'observability.corsOrigins',
      doc: 'Comma-separated exact origins browsers may call `/graphql` and `/media` from',
      defaultDoc: 'own origin (dev) / none (prod)',
      example: 'https://app.example.com,http://localhost:5173',
    },
    checkedBy((raw) => parseCorsOrigins(raw) ?? []),
  ),
  METRICS_TOKEN: variable(
    {
      group: 'Logs, metrics, CORS',
      lands: 'observability.metricsToken',
      doc: 'Bearer token `GET /metrics` requires',
      defaultDoc: 'unset: loopback clients only',
      example: 'scrape-token',
      echo: 'hidden',
    },
    text,
  ),

  OTEL_SDK_DISABLED: variable(
    { group: 'Tracing', lands: 'observability.tracing', doc: '`true` turns tracing off whatever the other `OTEL_*` say', example: 'true' },
    boolean,
    false,
  ),
  OTEL_TRACES_EXPORTER: variable(
    {
      group: 'Tracing',
      lands: 'observability.tracing.exporter',
      doc: '`otlp` or `console` turns tracing on; `none` off',
      defaultDoc: '`otlp` when an endpoint is set, otherwise tracing off',
      example: 'console',
    },
    oneOf(['otlp', 'console', 'none']),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: variable(
    {
      group: 'Tracing',
      lands: 'observability.tracing.url',
      doc: 'OTLP collector; spans go to `<endpoint>/v1/traces` (setting it turns tracing on)',
      defaultDoc: '`http://localhost:4318` when tracing is on',
      example: 'http://collector:4318',
      echo: 'url',
    },
    httpUrl.transform((s) => s.replace(/\/+$/, '')),
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: variable(
    {
      group: 'Tracing',
      lands: 'observability.tracing.url',
      doc: 'Full URL spans are posted to (overrides the one above; setting it turns tracing on)',
      defaultDoc: 'unset',
      example: 'http://collector:4318/custom/traces',
      echo: 'url',
    },
    httpUrl,
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: variable(
    {
      group: 'Tracing',
      lands: 'observability.tracing.protocol',
      doc: '`http/protobuf` or `http/json`',
      defaultDoc: '`http/protobuf`',
      example: 'http/json',
    },
    oneOf(PROTOCOLS),
  ),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: variable(
    {
      group: 'Tracing',
      lands: 'observability.tracing.protocol',
      doc: 'The same, for traces only (overrides the one above)',
      example: 'http/json',
    },
    oneOf(PROTOCOLS),
  ),
  OTEL_EXPORTER_OTLP_HEADERS: variable(
    {
      group: 'Tracing',
      lands: 'observability.tracing.headers',
      doc: '`key=value,…` headers sent to the collector (e.g. an API key)',
      example: 'x-api-key=abc123',
      echo: 'hidden',
    },
    checkedBy(parseOtelHeaders),
  ),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: variable(
    {
      group: 'Tracing',
      lands: 'observability.tracing.headers',
      doc: 'The same, for traces only (added to the ones above)',
      example: 'x-api-key=abc123',
      echo: 'hidden',
    },
    checkedBy(parseOtelHeaders),
  ),
  OTEL_SERVICE_NAME: variable(
    { group: 'Tracing', lands: 'observability.tracing.serviceName', doc: 'Service name on the spans', example: 'switchboard-eu' },
    text,
    'switchboard',
  ),

  SECRETS_KEY: variable(
    {
      group: 'Secrets',
      lands: 'secrets.key',
      doc: 'Key that encrypts stored provider secrets: 32 bytes in base64 (`openssl rand -base64 32`)',
      defaultDoc: 'generated into `<DATA_DIR>/secrets.key`',
      example: EXAMPLE_KEY,
      echo: 'hidden',
    },
    secretKey('SECRETS_KEY'),
  ),
  SECRETS_KEY_PREVIOUS: variable(
    {
      group: 'Secrets',
      lands: 'secrets.previousKeys',
      doc: 'Comma-separated older keys that still decrypt (during a key rotation)',
      defaultDoc: 'none',
      example: EXAMPLE_KEY,
      echo: 'hidden',
    },
    z
      .string()
      .transform(commaList)
      .pipe(z.array(secretKey('SECRETS_KEY_PREVIOUS'))),
    [],
  ),
} satisfies Record<string, Variable<unknown>>;

export type VariableName = keyof typeof VARIABLES;

/** Each variable's value once read: its default applied, or undefined where the default is computed in loadConfig. */
export type Values = { [K in VariableName]: (typeof VARIABLES)[K] extends Variable<infer T> ? T : never };

/** One bad variable, as shown to whoever set it. */
export interface ConfigIssue {
  name: VariableName;
  /** The value as echoed (hidden or with its password masked for secrets); empty when the message already shows it. */
  shown: string;
  /** A sentence starting with the variable's name: what is expected. */
  message: string;
}

/**
 * The configuration could not be read: every bad variable at once, each with its (masked) value and
 * what is expected. Its message is meant for a terminal as is: src/main.ts prints it without a stack.
 */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 environment variable is' : `${issues.length} environment variables are`;
    super(
      [
        `Invalid configuration: ${count} not valid.`,
        ...issues.map((i) => `  ${i.message}${i.shown ? ` (got ${i.shown})` : ''}`),
        'Run `npm start -- --help` for every variable, its default and meaning.',
      ].join('\n'),
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** How a bad value appears in an error: secrets never do, URLs lose their password. */
export function echoValue(echo: Echo, raw: string): string {
  if (echo === 'hidden') return `a hidden value of ${raw.length} characters`;
  const shown = echo === 'url' ? raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^@/]*@/i, '$1***@') : raw;
  return JSON.stringify(shown.length > 120 ? `${shown.slice(0, 117)}...` : shown);
}

/** Reads the variables of `names` (all by default) from `env`; collects every bad one rather than stopping at the first. */
export function readVariables(env: NodeJS.ProcessEnv, names: readonly VariableName[] = Object.keys(VARIABLES) as VariableName[]) {
  const values: Partial<Record<VariableName, unknown>> = {};
  const issues: ConfigIssue[] = [];
  for (const name of names) {
    const spec: Variable<unknown> = VARIABLES[name];
    const result = spec.schema.safeParse(env[name]);
    if (result.success) {
      values[name] = result.data;
      continue;
    }
    const message = result.error.issues[0]?.message ?? 'is not valid';
    issues.push({
      name,
      // Checkers shared with other code (CORS_ORIGINS, SECRETS_KEY) already say what they got.
      shown: message.includes(', got ') ? '' : echoValue(spec.echo, env[name] ?? ''),
      message: message.startsWith(`${name} `) ? message : `${name} ${message}`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return values as Values;
}

const plain = (markdown: string) => markdown.replace(/`/g, '');

function wrap(line: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...lines, current];
}

/** `npm start -- --help`: every variable with its default and meaning, grouped, fitted to `columns`. */
export function configHelp(columns = 160): string {
  const entries = Object.entries(VARIABLES) as [VariableName, Variable<unknown>][];
  const nameWidth = Math.max(...entries.map(([name]) => name.length)) + 2;
  const defaultWidth = 34;
  const docWidth = Math.max(40, columns - 2 - nameWidth - defaultWidth);
  const row = (name: string, defaults: string[], doc: string[]) =>
    Array.from({ length: Math.max(defaults.length, doc.length) }, (_, i) =>
      `  ${(i === 0 ? name : '').padEnd(nameWidth)}${(defaults[i] ?? '').padEnd(defaultWidth)}${doc[i] ?? ''}`.trimEnd(),
    );
  const out = [
    'Usage: npm start [-- --help]',
    '',
    'Switchboard is configured by these environment variables, read once at start-up; unset or blank means',
    'the default. Bad values stop the start (exit code 2) with one message naming each of them.',
    '',
    ...row('VARIABLE', ['DEFAULT'], ['MEANING']),
  ];
  for (const group of GROUPS) {
    out.push('', `${group}:`);
    for (const [name, spec] of entries.filter(([, s]) => s.group === group))
      out.push(...row(name, wrap(plain(spec.defaultDoc), defaultWidth - 2), wrap(plain(spec.doc), docWidth)));
  }
  return out.join('\n');
}

/** The README's configuration table (Markdown rows, unpadded; prettier aligns them). */
export function configMarkdownRows(): string[][] {
  return Object.entries(VARIABLES).map(([name, spec]) => [`\`${name}\``, spec.defaultDoc, spec.doc.replace(/\|/g, '\\|')]);
}
