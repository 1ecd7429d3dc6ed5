import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { loadConfig, parseCorsOrigins } from '../src/config';
import { launchChromium, skipWithoutChromium } from './helpers/chromium';
import { startTestServer } from './helpers/server';

/** A second origin: a local HTTP server serving one blank page (the frontend of some other app). */
async function frontendServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>frontend</title><p>frontend</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** What a browser sends before a cross-origin POST with a bearer token and a JSON body. */
function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

test('CORS_ORIGINS parsing: exact origins, never "*"', () => {
  assert.equal(parseCorsOrigins(undefined), null);
  assert.deepEqual(parseCorsOrigins(' https://app.example.com , http://localhost:5173'), [
    'https://app.example.com',
    'http://localhost:5173',
  ]);
  assert.throws(() => parseCorsOrigins('*'), /CORS_ORIGINS.*"\*" is not allowed/);
  assert.throws(() => parseCorsOrigins('https://app.example.com/'), /CORS_ORIGINS entries must be origins/);
  assert.throws(() => parseCorsOrigins('app.example.com'), /CORS_ORIGINS entries must be origins/);
  assert.deepEqual(loadConfig({ NODE_ENV: 'production' }).observability.corsOrigins, null);
});

test('preflight and CORS headers for /graphql and /media, none for /webhooks', async (t) => {
  const allowed = 'http://app.example.test:5173';
  const observability = loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: allowed }).observability;
  const s = await startTestServer({ deliveryWorker: false, config: { observability } });
  t.after(() => s.close());

  for (const path of ['/graphql', '/media/mda_anything']) {
    const res = await preflight(`${s.httpUrl}${path}`, allowed);
    assert.equal(res.status, 204, path);
    assert.equal(res.headers.get('access-control-allow-origin'), allowed, path);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    const allowedHeaders = (res.headers.get('access-control-allow-headers') ?? '').split(',');
    for (const h of ['authorization', 'content-type', 'apollo-require-preflight', 'x-request-id'])
      assert.ok(allowedHeaders.includes(h), `${path}: ${h}`);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(res.headers.get('vary') ?? '', /origin/i);
  }

  const other = await preflight(s.url, 'http://evil.example.test');
  assert.equal(other.headers.get('access-control-allow-origin'), null, 'an origin not on the list gets no grant');

  const post = await fetch(s.url, {
    method: 'POST',
    headers: { origin: allowed, 'content-type': 'application/json', authorization: `Bearer ${s.demoToken}` },
    body: JSON.stringify({ query: '{ viewer { id } }' }),
  });
  assert.equal(post.status, 200);
  assert.equal(post.headers.get('access-control-allow-origin'), allowed);
  assert.equal(post.headers.get('access-control-expose-headers'), 'x-request-id');

  const webhook = await preflight(`${s.httpUrl}/webhooks/ibx_x`, allowed);
  assert.equal(webhook.headers.get('access-control-allow-origin'), null, 'webhooks are for providers, not pages');
});

test('default origins: the server’s own in development, none in production', async (t) => {
  const dev = await startTestServer({
    deliveryWorker: false,
    config: { observability: loadConfig({ NODE_ENV: 'development' }).observability },
  });
  t.after(() => dev.close());
  assert.equal((await preflight(dev.url, dev.httpUrl)).headers.get('access-control-allow-origin'), dev.httpUrl);
  assert.equal((await preflight(dev.url, 'http://127.0.0.1:1')).headers.get('access-control-allow-origin'), null);

  const prod = await startTestServer({
    deliveryWorker: false,
    config: { observability: loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn' }).observability },
  });
  t.after(() => prod.close());
  assert.equal((await preflight(prod.url, prod.httpUrl)).headers.get('access-control-allow-origin'), null);
});

test('a page on another origin queries the API from Chromium when its origin is allowed, and is blocked when not', async (t) => {
  if (skipWithoutChromium(t)) return;
  const allowedFrontend = await frontendServer();
  t.after(() => allowedFrontend.close());
  const otherFrontend = await frontendServer();
  t.after(() => otherFrontend.close());
  const observability = loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: allowedFrontend.origin }).observability;
  const s = await startTestServer({ deliveryWorker: false, config: { observability } });
  t.after(() => s.close());

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  // What a frontend does: fetch with a bearer token and a JSON body (so the browser preflights).
  const query = (origin: string) =>
    page.goto(origin).then(() =>
      page.evaluate<{ ok: boolean; body?: unknown; requestId?: string | null; error?: string }>(`(async () => {
        try {
          const res = await fetch(${JSON.stringify(s.url)}, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: ${JSON.stringify(`Bearer ${s.demoToken}`)} },
            body: JSON.stringify({ query: '{ viewer { user { name } } }' }),
          });
          return { ok: true, body: await res.json(), requestId: res.headers.get('x-request-id') };
        } catch (e) {
          return { ok: false, error: String(e) };
        }
      })()`),
    );

  const allowed = await query(allowedFrontend.origin);
  assert.equal(allowed.ok, true, allowed.error);
  assert.deepEqual((allowed.body as { data?: unknown }).data, { viewer: { user: { name: s.demo.owner.name } } });
  assert.match(allowed.requestId ?? '', /^[0-9a-f-]{36}$/, 'the page can read x-request-id');

  const blocked = await query(otherFrontend.origin);
  assert.equal(blocked.ok, false, 'the browser refuses the response to a page whose origin is not allowed');
  assert.match(blocked.error ?? '', /Failed to fetch/);
});
