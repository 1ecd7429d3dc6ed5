import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { requestLogContext, type Logger } from './logger';
import type { RequestObservation } from './request-observation';
import type { Tracing } from './tracing';

/** A caller's `x-request-id` is kept when it looks like an id (so it can be searched for), else replaced. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes and scrapes come every few seconds; their lines are written at debug level only. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A path as a span name with low cardinality: prefixed ids (`/media/mda_…`, `/webhooks/ibx_…`)
 * become `:id`, so every media read is one kind of span, not one per file.
 */
export function routeOf(path: string): string {
  return path.replace(/\/[a-z]{2,8}_[A-Za-z0-9_-]+/g, '/:id');
}

/** The request id: the caller's `x-request-id` when it is a plausible id, otherwise a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && CALLER_REQUEST_ID.test(value) ? value : randomUUID();
}

/** The request's observation (set by {@link accessLog}, which runs first). */
export function observationOf(res: Response): RequestObservation {
  return res.locals.observation as RequestObservation;
}

/**
 * First middleware of the app: gives the request its id (echoed as `x-request-id`), runs the rest
 * of the request inside the log context that puts the id on every line, opens its span when
 * tracing is on, and writes one access log line when the response is finished: method, path (never
 * the query string, which may carry signed-URL signatures), status, duration, request id, and for
 * GraphQL the operation name and type.
 */
export function accessLog(logger: Logger, tracing: Tracing | null): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const observation: RequestObservation = { requestId: requestIdFrom(req.headers['x-request-id']), startedAt: performance.now() };
    res.locals.observation = observation;
    res.setHeader('x-request-id', observation.requestId);
    if (tracing) {
      const parent = tracing.extract(req.headers);
      observation.span = tracing.tracer.startSpan(
        `${req.method} ${routeOf(req.path)}`,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': req.method, 'url.path': req.path, 'switchboard.request_id': observation.requestId },
        },
        parent,
      );
      observation.traceContext = trace.setSpan(parent, observation.span);
    }
    let written = false;
    const done = () => {
      if (written) return;
      written = true;
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      const line = {
        requestId: observation.requestId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status,
        durationMs: Math.round((performance.now() - observation.startedAt) * 100) / 100,
        ...(observation.operationType
          ? { operationName: observation.operationName ?? null, operationType: observation.operationType }
          : {}),
      };
      if (QUIET_PATHS.has(req.path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
      if (observation.span) {
        observation.span.setAttribute('http.response.status_code', status);
        if (status >= 500) observation.span.setStatus({ code: SpanStatusCode.ERROR });
        observation.span.end();
      }
    };
    res.once('finish', done);
    res.once('close', done);
    requestLogContext.run({ requestId: observation.requestId }, next);
  };
}
