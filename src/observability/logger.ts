import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { ObservabilityConfig } from '../config';

export type { Logger } from 'pino';

/** What every log line written while serving one request carries (see {@link requestLogContext}). */
export interface RequestLogFields {
  requestId: string;
}

/**
 * The request (or websocket operation) the current async work belongs to. Code deep below a
 * resolver logs through the app logger and still gets the request id, without a logger being
 * threaded through every service. Like the ORM's per-request SQL counter, this is an async-context
 * key, not state: each request runs inside its own store, and the logger reads it once per line.
 */
export const requestLogContext = new AsyncLocalStorage<RequestLogFields>();

/**
 * Paths pino blanks out before a line is written. Tokens arrive in `Authorization` headers, in
 * websocket `connectionParams`, and as fields of provider settings (`accessToken`, `appSecret`).
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'connectionParams',
  'token',
  'accessToken',
  'appSecret',
  'webhookSecret',
  'verifyToken',
  'password',
  'secret',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  '*.authorization',
  '*.connectionParams',
  '*.token',
  '*.accessToken',
  '*.appSecret',
  '*.webhookSecret',
  '*.verifyToken',
  '*.password',
  '*.secret',
];

/** Bearer tokens and Switchboard tokens (`sb_…`) anywhere in free text, e.g. an error message quoting a header. */
const TOKEN_IN_TEXT = /\b(Bearer\s+)\S+|\bsb_[A-Za-z0-9_-]{8,}/gi;

/** Blanks tokens out of free text (error messages and stacks are not covered by path redaction). */
export function scrubTokens(text: string): string {
  return text.replace(TOKEN_IN_TEXT, (_m, bearer: string | undefined) => (bearer ? `${bearer}[Redacted]` : 'sb_[Redacted]'));
}

/** pino's error serializer, with tokens scrubbed from the message and stack. */
function errorSerializer(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (!serialized || typeof serialized !== 'object') return serialized;
  for (const key of ['message', 'stack'] as const) {
    if (typeof serialized[key] === 'string') serialized[key] = scrubTokens(serialized[key]);
  }
  return serialized;
}

/**
 * pino's options for a configuration: level, redaction, the request id from the async context,
 * and error serialisation. Separate from {@link createLogger} so tests can build a logger with the
 * same rules writing into a buffer.
 */
export function loggerOptions(config: Pick<ObservabilityConfig, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    base: { service: 'switchboard' },
    redact: { paths: REDACTED_PATHS },
    serializers: { err: errorSerializer, error: errorSerializer },
    // Fields given at the call site win over the ambient request id (the access log passes its own).
    // A fresh object: pino merges the call's fields into what mixin returns.
    mixin: () => {
      const store = requestLogContext.getStore();
      return store ? { requestId: store.requestId } : {};
    },
  };
}

/**
 * The app's logger, built once from config and handed down through AppDeps: JSON lines on stdout in
 * production (for a log shipper), human-readable through pino-pretty otherwise. pino-pretty is a
 * dev dependency, so it is loaded only outside production, and a missing one falls back to JSON.
 */
export function createLogger(config: Pick<ObservabilityConfig, 'logLevel' | 'nodeEnv'>, destination?: DestinationStream): Logger {
  const options = loggerOptions(config);
  if (destination) return pino(options, destination);
  if (config.nodeEnv !== 'production' && config.logLevel !== 'silent') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pretty = require('pino-pretty') as typeof import('pino-pretty');
      return pino(options, pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
    } catch {
      // Not installed (a production install run without NODE_ENV=production): JSON is still readable.
    }
  }
  return pino(options);
}

/**
 * For parts built without the app's logger (a unit test constructing one directly): warnings and
 * errors still reach stderr as JSON, with the same redaction, tagged with the component.
 */
export function fallbackLogger(component: string): Logger {
  return pino({ ...loggerOptions({ logLevel: 'warn' }), base: { service: 'switchboard', component } }, pino.destination(2));
}
