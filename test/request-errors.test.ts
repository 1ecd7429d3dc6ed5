import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as graphqlParser from 'graphql/language/parser';
import { StreamInboxEventsDocument } from './generated/graphql';
import { captureLogs, ERROR_LEVEL } from './helpers/logs';
import { startTestServer } from './helpers/server';

/**
 * Malformed requests cost the server little, and say what is wrong: bad argument values name their
 * argument without the document being parsed again per error, and subscriptions sent over HTTP are
 * refused as a bad request instead of crashing.
 */

/** `n` distinct enum values that ConversationStatus does not have. */
const badStatuses = (n: number) => Array.from({ length: n }, (_, i) => `NOPE_${i}`).join(', ');

test('bad argument values: BAD_USER_INPUT naming the argument, one document parse per request however many errors', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const c = s.client();
  // Every parse in this process goes through graphql's parser module: count them per request.
  const parses = mock.method(graphqlParser, 'parse');
  t.after(() => parses.mock.restore());
  const countParses = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const before = parses.mock.callCount();
    const result = await run();
    return [result, parses.mock.callCount() - before];
  };

  // What a request costs in parses when nothing is wrong with it (Apollo parses the document once).
  const [, baseline] = await countParses(() => c.raw('{ conversations(first: 1, filter: { status: [OPEN] }) { nodes { id } } }'));
  assert.ok(baseline >= 1);

  const [res, count] = await countParses(() =>
    c.raw(`{ conversations(first: 1, filter: { status: [${badStatuses(150)}] }) { nodes { id } } }`),
  );
  assert.notEqual(res.status, 500);
  const badValues = res.errors!.filter((e) => /does not exist in "ConversationStatus" enum/.test(e.message));
  assert.ok(badValues.length >= 100, `${badValues.length} bad-value errors reported`);
  for (const e of badValues) {
    assert.equal(e.extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(e.extensions?.fields, [{ field: 'filter.status', message: e.message }]);
  }
  assert.ok(count <= baseline + 1, `${count} parses for ${badValues.length} errors (a valid request takes ${baseline})`);

  // Several arguments in one document still get their own names.
  const mixed = await c.raw(
    '{ a: conversations(first: 1, filter: { status: [NOPE] }) { nodes { id } } b: conversations(first: "x") { nodes { id } } }',
  );
  assert.deepEqual(
    mixed.errors!.map((e) => [e.extensions?.code, (e.extensions?.fields as { field: string }[] | undefined)?.[0]?.field]),
    [
      ['BAD_USER_INPUT', 'filter.status'],
      ['BAD_USER_INPUT', 'first'],
    ],
  );
});

test('a huge document full of bad values is answered as BAD_USER_INPUT without indexing it (no field names)', async (t) => {
  const logs = captureLogs();
  const s = await startTestServer({ deliveryWorker: false, logger: logs.logger });
  t.after(() => s.close());
  const parses = mock.method(graphqlParser, 'parse');
  t.after(() => parses.mock.restore());

  // ~300 KB: well over the size up to which bad values are traced back to their argument.
  const query = `{ conversations(first: 1, filter: { status: [${badStatuses(120)}] }) { nodes { id } } }\n# ${'x'.repeat(300_000)}`;
  const before = parses.mock.callCount();
  const res = await s.client().raw(query);
  const count = parses.mock.callCount() - before;

  assert.notEqual(res.status, 500);
  const badValues = res.errors!.filter((e) => /does not exist in "ConversationStatus" enum/.test(e.message));
  assert.ok(badValues.length >= 100, `${badValues.length} bad-value errors reported`);
  for (const e of badValues) {
    assert.equal(e.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(e.extensions?.fields, undefined, 'no argument lookup on a document this large');
  }
  assert.equal(count, 1, 'only Apollo parsed the document');
  assert.deepEqual(
    logs.entries().filter((e) => e.level >= ERROR_LEVEL),
    [],
    'bad input is not a server failure: nothing is logged as an error',
  );
});

test('a subscription sent over HTTP is refused as BAD_REQUEST pointing to the websocket', async (t) => {
  const logs = captureLogs();
  const s = await startTestServer({ deliveryWorker: false, logger: logs.logger });
  t.after(() => s.close());

  const res = await s.client().request(StreamInboxEventsDocument, {});
  assert.equal(res.status, 400);
  assert.equal(res.data, undefined, 'nothing executed');
  assert.equal(res.errors?.length, 1);
  assert.equal(res.errors![0].extensions?.code, 'BAD_REQUEST');
  assert.equal(res.errors![0].message, 'Subscriptions need a websocket: connect with graphql-ws to /graphql');
  assert.deepEqual(
    logs.entries().filter((e) => e.level >= ERROR_LEVEL),
    [],
  );

  // Queries and mutations over HTTP are unaffected.
  const ok = await s.client().raw('{ viewer { id } }');
  assert.equal(ok.errors, undefined);
});
