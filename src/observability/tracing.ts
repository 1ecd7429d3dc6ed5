import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, defaultTextMapGetter, type Context, type Tracer } from '@opentelemetry/api';
import type { TracingConfig } from '../config';

/** Spans for this server's requests and operations; built only when tracing is on. */
export interface Tracing {
  tracer: Tracer;
  /** The parent context a caller's `traceparent` header names (or the root), so our spans join their trace. */
  extract(headers: IncomingHttpHeaders): Context;
  /** Flushes spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for one server, from its TracingConfig (the OTEL_* variables). The
 * SDK and the exporter are imported here, lazily, so a server with tracing off never loads them.
 * The provider is this server's own, not registered globally: spans are created through
 * {@link Tracing.tracer} and parented explicitly, so two servers in one process do not collide.
 */
export async function startTracing(config: TracingConfig): Promise<Tracing> {
  const sdk = await import('@opentelemetry/sdk-node');
  const exporter =
    config.exporter === 'console'
      ? new sdk.tracing.ConsoleSpanExporter()
      : config.protocol === 'http/json'
        ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: config.url, headers: config.headers })
        : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({ url: config.url, headers: config.headers });
  const provider = new sdk.tracing.BasicTracerProvider({
    resource: sdk.resources.resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new sdk.tracing.BatchSpanProcessor(exporter)],
  });
  const propagator = new sdk.core.W3CTraceContextPropagator();
  return {
    tracer: provider.getTracer('switchboard'),
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter),
    shutdown: () => provider.shutdown(),
  };
}
