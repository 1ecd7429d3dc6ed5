import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS } from '../src/config';
import { startTestServer } from './helpers/server';
import { captureLogs, ERROR_LEVEL } from './helpers/logs';
import { queryBrokenDatabase } from './helpers/internal-error';

/** Protective limits and error masking, as an abusive or unlucky client meets them. */
test('limits: depth, aliases, cost and body size are refused before anything runs', async (t) => {
  const s = await startTestServer({
    config: { limits: { ...DEFAULT_LIMITS, maxDepth: 6, maxAliases: 5, maxCost: 2000, maxBodyBytes: 4096 } },
  });
  t.after(() => s.close());
  const c = s.client();

  const deep = await c.raw(
    '{ conversations(first: 1) { nodes { lastMessage { conversation { lastMessage { conversation { id } } } } } } }',
  );
  assert.equal(deep.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
  assert.match(deep.errors![0].message, /depth 7 exceeds the limit of 6/);
  assert.equal(deep.data, undefined, 'nothing executed');

  const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: viewer { id }`).join(' ');
  const many = await c.raw(`{ ${aliases} }`);
  assert.equal(many.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
  assert.match(many.errors![0].message, /6 aliases; the limit is 5/);

  // 100 conversations × 100 messages each would be 10,000+ rows: refused by cost, also via variables.
  const costly = await c.raw('query($n: Int) { conversations(first: $n) { nodes { id messages(last: 100) { nodes { id } } } } }', {
    n: 100,
  });
  assert.equal(costly.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
  assert.match(costly.errors![0].message, /cost \d+ exceeds the limit of 2000/);
  const cheap = await c.raw('query($n: Int) { conversations(first: $n) { nodes { id messages(last: 5) { nodes { id } } } } }', { n: 5 });
  assert.equal(cheap.errors, undefined);

  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.demoToken}` },
    body: JSON.stringify({ query: `{ viewer { id } } # ${'x'.repeat(5000)}` }),
  });
  assert.equal(res.status, 413);
  const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');

  const notJson = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
  assert.equal(notJson.status, 400);

  // The server is still fine after all of that.
  assert.equal((await c.raw('{ viewer { id } }')).errors, undefined);
});

test('unexpected failures are masked for the client and logged with the request id', async (t) => {
  const logs = captureLogs();
  const s = await startTestServer({ logger: logs.logger });
  t.after(() => s.close());
  // A broken database is the kind of failure a client must not see details of.
  const res = await queryBrokenDatabase(s);
  const error = res.errors?.[0];
  assert.equal(error?.extensions?.code, 'INTERNAL_SERVER_ERROR');
  assert.equal(error?.message, 'Internal server error.');
  assert.doesNotMatch(JSON.stringify({ errors: res.errors }).replace(/"path":\[[^\]]*\]/, ''), /sqlite|select |no such table|from /i);
  const requestId = error?.extensions?.requestId as string;
  assert.match(requestId, /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get('x-request-id'), requestId);
  assert.ok(
    logs.entries().some((e) => e.level === ERROR_LEVEL && e.requestId === requestId && /no such table/i.test(JSON.stringify(e.err))),
    'the cause is logged next to the request id',
  );
});
