import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Config } from '../config';
import { queryStatsStorage } from '../db/query-stats';
import type { AppContext } from '../graphql/context';
import { isMaskedError } from '../graphql/errors';
import { ErrorCode } from '../lib/errors';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Tracing } from './tracing';

/** What the plugin reports to. */
export interface ObservabilityPluginDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  tracing: Tracing | null;
}

/**
 * Apollo plugin for everything an operation over HTTP reports: the request id on the response and
 * on masked errors (whose cause is logged with it), the operation's name and type for the access
 * log, the duration, SQL statement and error-code metrics, a span per operation when tracing is
 * on, and optionally `extensions.sqlStatements`.
 */
export function observabilityPlugin({ config, logger, metrics, tracing }: ObservabilityPluginDeps): ApolloServerPlugin<AppContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const startedAt = performance.now();
      const observation = contextValue.http;
      let span: Span | undefined;
      if (tracing) span = tracing.tracer.startSpan('graphql', { kind: SpanKind.INTERNAL }, observation?.traceContext);
      let operationName = request.operationName ?? null;
      let operationType = 'unknown';
      return {
        async didResolveOperation({ operation, operationName: resolved }) {
          operationName = resolved ?? null;
          operationType = operation?.operation ?? 'unknown';
          if (observation) {
            observation.operationName = operationName;
            observation.operationType = operationType;
          }
          span?.updateName(`${operationType} ${operationName ?? '(anonymous)'}`);
          span?.setAttributes({ 'graphql.operation.type': operationType, 'graphql.operation.name': operationName ?? '' });
        },
        async didEncounterErrors({ errors, request: { http } }) {
          for (const err of errors) {
            // Only the masking decision: building the client's view is formatError's job, done once.
            if (isMaskedError(err, err.extensions?.code)) {
              logger.error(
                {
                  err: err.originalError ?? err,
                  requestId: contextValue.requestId,
                  operationName,
                  path: err.path?.join('.'),
                  headers: http ? Object.fromEntries(http.headers) : undefined,
                },
                'unexpected error (masked for the client)',
              );
            }
          }
        },
        async willSendResponse({ response }) {
          response.http.headers.set('x-request-id', contextValue.requestId);
          const stats = queryStatsStorage.getStore();
          const labels = { operation_name: metrics.operationLabel(operationName), operation_type: operationType };
          metrics.operationDuration.observe(labels, (performance.now() - startedAt) / 1000);
          if (stats) metrics.sqlStatements.observe(labels, stats.count);
          if (response.body.kind !== 'single') {
            span?.end();
            return;
          }
          const result = response.body.singleResult;
          for (const e of result.errors ?? []) {
            const code = typeof e.extensions?.code === 'string' ? e.extensions.code : 'UNKNOWN';
            metrics.errors.inc({ code });
            if (code === ErrorCode.INTERNAL_SERVER_ERROR) {
              (e.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            }
          }
          if (span) {
            if (result.errors?.length) span.setStatus({ code: SpanStatusCode.ERROR, message: result.errors[0].message });
            span.setAttribute('switchboard.sql_statements', stats?.count ?? 0);
            span.end();
          }
          if (config.exposeSqlStats && stats) {
            result.extensions = { ...result.extensions, sqlStatements: stats.count };
          }
        },
      };
    },
  };
}
