import type { Context, Span } from '@opentelemetry/api';

/**
 * What one HTTP request learns about itself on its way through: filled by the access-log
 * middleware (id, start, span) and by the GraphQL plugin (operation), read when the response is
 * finished to write the access log line.
 */
export interface RequestObservation {
  requestId: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  operationName?: string | null;
  operationType?: string;
  /** The request's span and the context to parent child spans on; absent when tracing is off. */
  span?: Span;
  traceContext?: Context;
}
