import cors from 'cors';
import type { RequestHandler } from 'express';
import type { ObservabilityConfig } from '../config';

/** Request headers a browser may send cross-origin (the preflight answer lists them). */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-request-id',
];
/** Response headers a cross-origin page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = ['x-request-id'];
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * The browser origins allowed to call the API: CORS_ORIGINS when set; otherwise none in production
 * and, in development, the server's own origin (known once it listens, hence the getter).
 */
export function allowedOrigins(
  config: Pick<ObservabilityConfig, 'corsOrigins' | 'nodeEnv'>,
  ownOrigin: () => string | null,
): () => ReadonlySet<string> {
  if (config.corsOrigins) {
    const fixed = new Set(config.corsOrigins);
    return () => fixed;
  }
  if (config.nodeEnv === 'production') {
    const none = new Set<string>();
    return () => none;
  }
  return () => {
    const own = ownOrigin();
    return new Set(own ? [own] : []);
  };
}

/**
 * CORS for /graphql and /media: exact origins only, preflights answered (204) with the allowed
 * methods and headers, `x-request-id` readable by the page. An origin not on the list gets no
 * Access-Control-* headers at all, which is how a browser is told no.
 */
export function corsMiddleware(origins: () => ReadonlySet<string>): RequestHandler {
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && origins().has(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: true,
    maxAge: CORS_MAX_AGE_SECONDS,
    optionsSuccessStatus: 204,
  });
}
