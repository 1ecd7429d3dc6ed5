import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getIntrospectionQuery } from 'graphql';
import { DEFAULT_LIMITS } from '../src/config';
import { startTestServer, type TestServer } from './helpers/server';
import { SubscriptionCollector, wsClient } from './helpers/subscriptions';

/** POSTs a raw document and returns the status, the parsed body and its size. */
async function post(s: TestServer, query: string, token: string | null, variables?: Record<string, unknown>) {
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return {
    status: res.status,
    body,
    bytes: text.length,
    codes: (body.errors ?? []).map((e) => e.extensions?.code),
    challenge: res.headers.get('www-authenticate'),
  };
}

const FULL_SCHEMA = '{ types { name kind fields { name args { name type { name kind ofType { name kind } } } } } }';
const schemaAliases = (n: number, selection = FULL_SCHEMA) =>
  `{ ${Array.from({ length: n }, (_, i) => `s${i}: __schema ${selection}`).join(' ')} }`;
const typenameAliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ')} }`;

/** A development server (introspection open) and a production-mode one (INTROSPECTION=false). */
for (const mode of ['development', 'production'] as const) {
  test(`limits (${mode}): introspection and meta fields count like any field, refused with 400 QUERY_TOO_COMPLEX`, async (t) => {
    const s = await startTestServer({ config: { introspection: mode === 'development' } });
    t.after(() => s.close());

    // The audit's request: 1,000 aliases of a full `__schema`, no token (was 10 s and 43 MB).
    for (const token of [null, s.demoToken]) {
      const attack = await post(s, schemaAliases(1000), token);
      assert.equal(attack.status, 400, JSON.stringify(attack.body).slice(0, 300));
      assert.equal(attack.codes[0], 'QUERY_TOO_COMPLEX');
      assert.equal(attack.body.data, undefined, 'nothing executed');
      assert.ok(attack.bytes < 10_000, `answer is ${attack.bytes} bytes`);
      // Under the token limit, the aliases and the `__schema` count refuse it.
      const short = await post(s, schemaAliases(1000, '{ types { name } }'), token);
      assert.equal(short.status, 400);
      assert.deepEqual(
        short.body.errors!.map((e) => e.message),
        ['Query uses 1000 aliases; the limit is 30.', 'Query selects __schema 1000 times; an operation may select it once.'],
      );
    }

    // `__schema` at most once, even without aliases (fragments merge into one response key).
    const twice = await post(
      s,
      '{ __schema { queryType { name } } ...S } fragment S on Query { __schema { types { name } } }',
      s.demoToken,
    );
    assert.equal(twice.status, 400);
    assert.equal(twice.codes[0], 'QUERY_TOO_COMPLEX');
    assert.match(twice.body.errors![0].message, /__schema/);

    // 1,000 aliases of `__typename`: counted like any alias.
    for (const token of [null, s.demoToken]) {
      const typenames = await post(s, typenameAliases(1000), token);
      assert.equal(typenames.status, 400);
      assert.equal(typenames.codes[0], 'QUERY_TOO_COMPLEX');
      assert.match(typenames.body.errors![0].message, /1000 aliases; the limit is 30/);
    }

    // 100 directives: on one field, and spread over 100 inline fragments (which graphql alone accepts).
    const onOneField = await post(s, `{ __typename ${'@include(if: true) '.repeat(100)} }`, s.demoToken);
    assert.equal(onOneField.status, 400);
    assert.equal(onOneField.codes[0], 'QUERY_TOO_COMPLEX');
    assert.match(onOneField.body.errors![0].message, /100 directives; the limit is 50/);
    const spread = await post(s, `{ ${'... @include(if: true) { __typename } '.repeat(100)} }`, null);
    assert.equal(spread.status, 400);
    assert.equal(spread.codes[0], 'QUERY_TOO_COMPLEX');
    assert.equal(spread.body.data, undefined);

    // Refused for cost (page sizes from variables): 400, never 500.
    const costly = await post(
      s,
      'query($n: Int) { conversations(first: $n) { nodes { id messages(last: 100) { nodes { id reactions { emoji } } } } } }',
      s.demoToken,
      { n: 100 },
    );
    assert.equal(costly.status, 400);
    assert.deepEqual(costly.codes, ['QUERY_TOO_COMPLEX']);
    assert.match(costly.body.errors![0].message, /cost \d+ exceeds the limit of 50000/);
    assert.equal(costly.body.errors![0].extensions?.http, undefined, 'no transport detail leaks into extensions');

    // Introspection is counted for depth too: a deep `__type` walk is refused.
    let walk = 'name';
    for (let i = 0; i < 6; i++) walk = `fields { type { ${walk} } }`;
    const deep = await post(s, `{ __type(name: "Query") { ${walk} } }`, s.demoToken);
    assert.equal(deep.status, 400);
    assert.equal(deep.codes[0], 'QUERY_TOO_COMPLEX');
    assert.match(deep.body.errors![0].message, /depth 14 exceeds the limit of 12/);

    // A huge document is refused while parsing, before validation.
    const tokens = await post(s, `{ ${'__typename '.repeat(DEFAULT_LIMITS.maxTokens)} }`, s.demoToken);
    assert.equal(tokens.status, 400);
    assert.equal(tokens.codes[0], 'QUERY_TOO_COMPLEX');
    assert.match(tokens.body.errors![0].message, /more than 15000 tokens/);
    assert.equal(tokens.body.errors![0].extensions?.limit, 15000);

    // What tools send still works with a token: the standard introspection query (GraphiQL, codegen).
    const standard = await post(
      s,
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }),
      s.demoToken,
    );
    assert.equal(standard.status, 200, JSON.stringify(standard.body.errors));
    assert.ok((standard.body.data as { __schema: { types: unknown[] } }).__schema.types.length > 50);

    // And the server is fine.
    const health = await fetch(`${s.httpUrl}/healthz`);
    assert.equal(health.status, 200);
  });
}

test('INTROSPECTION=false: anonymous `__schema`/`__type` are refused (401 UNAUTHENTICATED); a token may introspect', async (t) => {
  const s = await startTestServer({ config: { introspection: false } });
  t.after(() => s.close());
  for (const query of [
    getIntrospectionQuery(),
    '{ __type(name: "Query") { name } }',
    '{ ...Q } fragment Q on Query { __schema { queryType { name } } }',
  ]) {
    const anon = await post(s, query, null);
    assert.equal(anon.status, 401, query.slice(0, 60));
    assert.equal(anon.codes[0], 'UNAUTHENTICATED');
    assert.match(anon.body.errors![0].message, /[Ii]ntrospection/);
    assert.equal(anon.body.data, undefined);
    assert.equal(anon.challenge, 'Bearer realm="switchboard"');
    const bad = await post(s, query, 'sb_made-up');
    assert.equal(bad.status, 401);
    assert.match(bad.challenge ?? '', /^Bearer realm="switchboard", error="invalid_token"/);
    const withToken = await post(s, query, s.demoToken);
    assert.equal(withToken.status, 200, JSON.stringify(withToken.body.errors));
    assert.equal(withToken.body.errors, undefined);
  }
  // `__typename` is not schema introspection: still answered without a token.
  const typename = await post(s, '{ __typename }', null);
  assert.equal(typename.status, 200);
  assert.deepEqual(typename.body.data, { __typename: 'Query' });
});

test('introspection is open without a token by default outside production (the playground shows the docs)', async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  assert.equal(s.config.introspection, true);
  const anon = await post(s, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), null);
  assert.equal(anon.status, 200, JSON.stringify(anon.body.errors));
});

test('websocket operations meet the same limits (1,000 `__typename` aliases, two `__schema`, 100 directives, tokens)', async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  const client = wsClient(s.url, s.demoToken);
  t.after(() => client.dispose());
  const refused = async (query: string) => {
    const sub = new SubscriptionCollector(client, query);
    const end = await sub.ending();
    const errors = (Array.isArray(end.error) ? end.error : sub.results.flatMap((r) => r.errors ?? [])) as {
      message: string;
      extensions?: Record<string, unknown>;
    }[];
    return errors[0];
  };
  const aliases = await refused(typenameAliases(1000));
  assert.equal(aliases?.extensions?.code, 'QUERY_TOO_COMPLEX');
  assert.equal((await refused(schemaAliases(2)))?.extensions?.code, 'QUERY_TOO_COMPLEX');
  assert.equal((await refused(`{ ${'... @include(if: true) { __typename } '.repeat(100)} }`))?.extensions?.code, 'QUERY_TOO_COMPLEX');
  const tokens = await refused(`{ ${'__typename '.repeat(DEFAULT_LIMITS.maxTokens)} }`);
  assert.equal(tokens?.extensions?.code, 'QUERY_TOO_COMPLEX');
  // The connection survives its refusals.
  const ok = new SubscriptionCollector(client, '{ __typename }');
  assert.deepEqual((await ok.next()).data, { __typename: 'Query' });
});
