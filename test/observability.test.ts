import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { loadConfig } from '../src/config';
import { routeOf } from '../src/observability/http-access-log';
import { isLoopback, metricsAccess } from '../src/observability/routes';
import { DeliverySendTextDocument, StreamInboxEventsDocument } from './generated/graphql';
import { waitForMessage } from './helpers/delivery';
import { queryBrokenDatabase } from './helpers/internal-error';
import { captureLogs, ERROR_LEVEL } from './helpers/logs';
import { startTestServer } from './helpers/server';
import { SubscriptionCollector, wsClient } from './helpers/subscriptions';

/** A Prometheus exposition as `name{labels}` → value. */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** Sum of every series of `name` whose labels include all of `labels` (`k="v"`). */
function total(series: Map<string, number>, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [key, value] of series) {
    const [n, rest = ''] = key.split('{');
    if (n === name && labels.every((l) => rest.includes(l))) sum += value;
  }
  return sum;
}

async function scrape(origin: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const res = await fetch(`${origin}/metrics`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

test('access log, request ids and redaction', async (t) => {
  const logs = captureLogs('info');
  const s = await startTestServer({ logger: logs.logger, deliveryWorker: false });
  t.after(() => s.close());

  await t.test('one access line per request: method, path without query, status, duration, id and operation', async () => {
    const res = await fetch(`${s.url}?token=${s.demoToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.demoToken}`, 'x-request-id': 'req-abc-123' },
      body: JSON.stringify({ query: 'query WhoAmI { viewer { id } }' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'req-abc-123');
    const line = logs.entries().find((e) => e.msg === 'request' && e.requestId === 'req-abc-123');
    assert.ok(line, logs.text());
    assert.equal(line.method, 'POST');
    assert.equal(line.path, '/graphql');
    assert.equal(line.status, 200);
    assert.equal(line.operationName, 'WhoAmI');
    assert.equal(line.operationType, 'query');
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(!logs.text().includes(s.demoToken), 'the token in the query string is not logged');
  });

  await t.test('an unexpected error is logged with the request id and its cause, never with the token', async () => {
    // A broken database is the kind of failure a client must not see details of.
    const res = await queryBrokenDatabase(s);
    const error = res.errors?.[0];
    assert.equal(error?.extensions?.code, 'INTERNAL_SERVER_ERROR');
    assert.doesNotMatch(JSON.stringify(res.errors), /no such table/i);
    const requestId = error?.extensions?.requestId as string;
    assert.equal(res.headers.get('x-request-id'), requestId);
    const logged = logs.entries().find((e) => e.level === ERROR_LEVEL && e.requestId === requestId);
    assert.ok(logged, logs.text());
    assert.match(JSON.stringify(logged.err), /no such table/i);
    assert.equal((logged.headers as Record<string, string>).authorization, '[Redacted]');
    assert.ok(!logs.text().includes(s.demoToken), 'the bearer token appears nowhere in the log');
  });

  await t.test('websocket connect, subscribe and close are logged with the connection id; connectionParams never are', async () => {
    const client = wsClient(s.url, s.demoToken);
    // An operation that completes by itself: once it has, its subscribe line is written.
    const sub = new SubscriptionCollector(client, 'query WsViewer { viewer { id } }');
    t.after(() => sub.stop());
    await sub.waitFor((r) => r.data !== undefined);
    const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
    await client.dispose();
    await closed;
    const connected = logs.entries().find((e) => e.msg === 'websocket connected');
    assert.ok(connected?.connectionId, logs.text());
    const subscribed = logs.entries().find((e) => e.msg === 'subscribe' && e.connectionId === connected.connectionId);
    assert.equal(subscribed?.operationName, 'WsViewer');
    assert.equal(subscribed?.operationType, 'query');
    assert.ok(!logs.text().includes(s.demoToken));
  });
});

test('/metrics: the series move with sends, webhooks, operations and subscriptions', async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  const before = await scrape(s.httpUrl);
  assert.ok(before.has('nodejs_eventloop_lag_seconds'), 'default process metrics, including event-loop lag');
  assert.equal(before.get('switchboard_outbox_depth'), 0);
  assert.equal(before.get('switchboard_outbox_oldest_due_age_seconds'), 0);

  const client = wsClient(s.url, s.demoToken);
  t.after(() => client.dispose());
  const sub = new SubscriptionCollector(client, StreamInboxEventsDocument, {});
  t.after(() => sub.stop());

  const anna = s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!;
  const sent = (await s.client().data(DeliverySendTextDocument, { conversationId: anna.id, body: 'metrics please' })).sendMessage.message;
  // The sandbox reports SENT → DELIVERED → READ through signed webhooks to this server.
  await waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, sent.id, (m) => m.deliveryStatus === 'read');
  await sub.waitFor((r) => r.data?.inboxEvents.__typename === 'MessageStatusChangedEvent' && r.data.inboxEvents.to === 'READ');

  const after = await scrape(s.httpUrl);
  assert.equal(after.get('switchboard_websocket_connections'), 1);
  assert.equal(after.get('switchboard_subscriptions'), 1, 'the running inboxEvents subscription');
  const grew = (name: string, ...labels: string[]) => total(after, name, ...labels) - total(before, name, ...labels);
  assert.equal(grew('switchboard_sends_total', 'provider="sandbox"', 'outcome="sent"'), 1);
  assert.ok(grew('switchboard_webhook_events_total', 'provider="sandbox"', 'outcome="ingested"') >= 2, 'delivered and read callbacks');
  assert.ok(grew('switchboard_webhook_lag_seconds_count', 'provider="sandbox"') >= 2);
  assert.ok(grew('switchboard_events_published_total') >= 3, 'message added + status changes');
  assert.equal(
    grew('switchboard_graphql_operation_duration_seconds_count', 'operation_name="DeliverySendText"', 'operation_type="mutation"'),
    1,
  );
  assert.equal(grew('switchboard_graphql_sql_statements_count', 'operation_name="DeliverySendText"'), 1);
  assert.ok(grew('switchboard_graphql_sql_statements_sum', 'operation_name="DeliverySendText"') > 0);
  assert.ok(grew('switchboard_fanout_latency_seconds_count') >= 1, 'live events delivered to the subscription were timed');

  await t.test('errors are counted by code', async () => {
    await s.client(null).raw('{ viewer { id } }');
    const scraped = await scrape(s.httpUrl);
    assert.ok(total(scraped, 'switchboard_graphql_errors_total', 'code="UNAUTHENTICATED"') >= 1);
  });
});

test('/metrics with METRICS_TOKEN needs the token; without one, loopback only', async (t) => {
  const token = 'metrics-secret-1';
  const base = loadConfig({ NODE_ENV: 'test', METRICS_TOKEN: token }).observability;
  const s = await startTestServer({ deliveryWorker: false, config: { observability: base } });
  t.after(() => s.close());
  const none = await fetch(`${s.httpUrl}/metrics`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await fetch(`${s.httpUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  await scrape(s.httpUrl, { authorization: `Bearer ${token}` });

  for (const [address, loopback] of [
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.5', false],
    ['::ffff:192.168.1.2', false],
    ['fe80::1', false],
    [undefined, false],
  ] as const) {
    assert.equal(isLoopback(address), loopback, String(address));
  }
  assert.equal(metricsAccess(null, undefined, '10.0.0.5'), 'forbidden');
  assert.equal(metricsAccess(null, undefined, '127.0.0.1'), 'ok');
  assert.equal(metricsAccess(token, undefined, '127.0.0.1'), 'unauthorized', 'with a token, loopback is not enough');
});

test('/readyz answers 503 with a reason when the database is gone; /healthz stays static', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const ready = await fetch(`${s.httpUrl}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true });

  await s.db.orm.close(true);
  const down = await fetch(`${s.httpUrl}/readyz`);
  assert.equal(down.status, 503);
  const body = (await down.json()) as { ready: boolean; reason: string };
  assert.equal(body.ready, false);
  assert.match(body.reason, /^database: /);
  assert.equal((await fetch(`${s.httpUrl}/healthz`)).status, 200);
});

test('tracing: a GraphQL operation reaches an OTLP/HTTP collector as a span in the caller’s trace', async (t) => {
  const received: unknown[] = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') received.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  t.after(() => collector.close());
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const observability = loadConfig({
    NODE_ENV: 'test',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'switchboard-test',
  }).observability;
  assert.ok(observability.tracing, 'an OTLP endpoint turns tracing on');
  assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'true' }).observability.tracing, null);
  assert.equal(loadConfig({}).observability.tracing, null, 'off by default');

  assert.equal(routeOf('/media/mda_01HZX9'), '/media/:id', 'span names do not carry ids');
  const s = await startTestServer({ deliveryWorker: false, config: { observability } });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const named = await fetch(s.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${s.demoToken}`,
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    },
    body: JSON.stringify({ query: 'query TracedViewer { viewer { id } }' }),
  });
  assert.equal(named.status, 200);
  await s.close(); // flushes the batch of spans

  type OtlpSpan = { name: string; traceId: string; attributes: { key: string; value: { stringValue?: string } }[] };
  const spans = received.flatMap((r) =>
    (r as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) => ss.spans),
    ),
  );
  const op = spans.find((sp) => sp.name === 'query TracedViewer');
  assert.ok(op, `spans received: ${spans.map((sp) => sp.name).join(', ')}`);
  assert.equal(op.traceId, traceId, 'the operation joins the caller’s trace');
  assert.ok(
    spans.some((sp) => sp.name === 'POST /graphql' && sp.traceId === traceId),
    'and so does the HTTP request span',
  );
  assert.match(JSON.stringify(received), /switchboard-test/);
});
