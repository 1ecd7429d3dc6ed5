import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Cheap reads the outbox gauges make on each scrape (one query each). */
export interface OutboxProbe {
  /** Entries still to send (state pending, due or not). */
  depth(): Promise<number>;
  /** When the longest-waiting due entry became due; null when nothing is due. */
  oldestDueAt(): Promise<Date | null>;
}

/** Distinct operation names kept as label values; later names share one series, so a client cannot grow the registry without bound. */
export const MAX_OPERATION_NAMES = 200;
/** The label of operations past {@link MAX_OPERATION_NAMES} distinct names. */
export const OTHER_OPERATIONS = '(other)';
/** The label of operations without a name. */
export const ANONYMOUS_OPERATION = '(anonymous)';

/** What a provider callback came to at the webhook endpoint. */
export type WebhookOutcome = 'ingested' | 'duplicate' | 'invalid_signature' | 'bad_payload' | 'failed';

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const SQL_BUCKETS = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
/** Both per-operation histograms are observed with one labels object (apollo-plugin.ts), so they share one label set. */
const OPERATION_LABELS = ['operation_name', 'operation_type'] as const;

/**
 * The app's Prometheus metrics, in a registry the app owns (two servers in one process, as in
 * tests, never share series). Built once in createServer and handed down through AppDeps.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly operationNames = new Set<string>();
  /** When each live event was handed to pub/sub, by payload object: replays are never stamped, so never timed. */
  private readonly publishedAt = new WeakMap<object, number>();

  /** GraphQL operations (HTTP and websocket) by name and type, with their duration. */
  readonly operationDuration = new Histogram({
    name: 'switchboard_graphql_operation_duration_seconds',
    help: 'GraphQL operations over HTTP by operation name and type: time from request to response.',
    labelNames: OPERATION_LABELS,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'switchboard_graphql_errors_total',
    help: 'Errors returned to GraphQL clients, by extensions.code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly sqlStatements = new Histogram({
    name: 'switchboard_graphql_sql_statements',
    help: 'SQL statements one GraphQL operation over HTTP issued.',
    labelNames: OPERATION_LABELS,
    buckets: SQL_BUCKETS,
    registers: [this.registry],
  });

  readonly websockets = new Gauge({
    name: 'switchboard_websocket_connections',
    help: 'Open websocket connections.',
    registers: [this.registry],
  });

  /** Counted on scrape from the websocket layer's own bookkeeping (see {@link countSubscriptionsWith}), so it cannot drift. */
  private subscriptionCount: () => number = () => 0;

  readonly subscriptions: Gauge = new Gauge({
    name: 'switchboard_subscriptions',
    help: 'Running GraphQL subscriptions on websockets.',
    registers: [this.registry],
    collect: (): void => this.subscriptions.set(this.subscriptionCount()),
  });

  readonly eventsPublished = new Counter({
    name: 'switchboard_events_published_total',
    help: 'Domain events published to subscribers after commit, by event type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly fanoutLatency = new Histogram({
    name: 'switchboard_fanout_latency_seconds',
    help: 'From an event being published to its result being ready for a subscriber socket (live events only, not replays).',
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly sends = new Counter({
    name: 'switchboard_sends_total',
    help: 'Outbound send attempts by provider and outcome: sent, a failure kind (temporary, rejected, auth, window_closed, unsupported) or error (the adapter threw).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookEvents = new Counter({
    name: 'switchboard_webhook_events_total',
    help: 'Provider webhook events by provider and outcome (ingested, duplicate) and rejected deliveries (invalid_signature, bad_payload, failed).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookLag = new Histogram({
    name: 'switchboard_webhook_lag_seconds',
    help: 'Time from the provider event (its own timestamp) to its ingestion here.',
    labelNames: ['provider'] as const,
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });

  constructor(outbox?: OutboxProbe) {
    // Process metrics, including nodejs_eventloop_lag_seconds and the event-loop delay percentiles.
    collectDefaultMetrics({ register: this.registry });
    if (!outbox) return;
    new Gauge({
      name: 'switchboard_outbox_depth',
      help: 'Outbox entries waiting to be sent (due or backing off).',
      registers: [this.registry],
      async collect() {
        // A failing database must not fail the whole scrape: the gauge reads NaN (Prometheus' "unknown").
        this.set(await outbox.depth().catch(() => NaN));
      },
    });
    new Gauge({
      name: 'switchboard_outbox_oldest_due_age_seconds',
      help: 'How long the longest-waiting due outbox entry has been due (0 when none is).',
      registers: [this.registry],
      async collect() {
        const due = await outbox.oldestDueAt().catch(() => undefined);
        if (due === undefined) this.set(NaN);
        else this.set(due ? Math.max(0, (Date.now() - due.getTime()) / 1000) : 0);
      },
    });
  }

  /** The operation-name label: the name, `(anonymous)`, or `(other)` once {@link MAX_OPERATION_NAMES} names are in use. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return ANONYMOUS_OPERATION;
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return OTHER_OPERATIONS;
    this.operationNames.add(name);
    return name;
  }

  /** Where the subscriptions gauge reads its value on each scrape. */
  countSubscriptionsWith(count: () => number): void {
    this.subscriptionCount = count;
  }

  /** Counts a published event and stamps it, so the subscription that delivers it can time the fan-out. */
  published(payload: unknown): void {
    if (!payload || typeof payload !== 'object') return;
    this.publishedAt.set(payload, performance.now());
    const type = (payload as { type?: unknown }).type;
    this.eventsPublished.inc({ type: typeof type === 'string' ? type : 'unknown' });
  }

  /** Records the fan-out latency of a live event once its subscriber's result is ready; returns the result unchanged. */
  timeFanout<T>(event: object | null | undefined, result: T | Promise<T>): T | Promise<T> {
    const at = event ? this.publishedAt.get(event) : undefined;
    if (at === undefined) return result;
    const observe = () => this.fanoutLatency.observe((performance.now() - at) / 1000);
    if (result instanceof Promise) return result.finally(observe);
    observe();
    return result;
  }

  /** The exposition text for a scrape. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
