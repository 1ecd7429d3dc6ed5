import { test } from 'node:test';
import assert from 'node:assert/strict';
// First: Apollo Client must load in development mode, or it reports no cache problems at all.
import './helpers/apollo-dev-mode';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { runExample } from '../examples/apollo-client/main';
import { Topics } from '../src/pubsub/pubsub';
import { startTestServer } from './helpers/server';
import { TrackingPubSub } from './helpers/subscriptions';

/**
 * The typed-client example (examples/apollo-client) run in-process against a real server: it lists
 * conversations, pages once through relayStylePagination, subscribes to inboxEvents over
 * graphql-ws, sends a message and receives the event of its own send, and Apollo Client (in
 * development mode, which checks every cache write) complains about nothing on the way.
 */
test('the Apollo Client example lists, pages, sends and receives its own event with no cache warnings', async (t) => {
  loadDevMessages();
  loadErrorMessages();
  const pubsub = new TrackingPubSub();
  const s = await startTestServer({ pubsub, deliveryWorker: false });
  t.after(() => s.close());
  const topic = Topics.tenant(s.demo.tenant.id);

  const complaints: string[] = [];
  const lines: string[] = [];
  for (const level of ['warn', 'error'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => void complaints.push(`${level}: ${args.map(String).join(' ')}`);
    t.after(() => (console[level] = original));
  }

  // The list as the server orders it before the example writes (its send moves a conversation to the top).
  const expected = await s.client().raw('{ conversations(first: 6) { edges { node { id } } } }');
  const serverOrder = (expected.data!.conversations as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id);

  const opened = pubsub.subscriptionsOpened(topic);
  const run = await runExample(s.url, s.tokens.owner, (line) => lines.push(line), {
    // Send only once the server listens: an event published before that is not one this stream owes.
    subscribed: () => pubsub.waitForOpened(topic, opened),
  });

  assert.deepEqual(
    run.firstPage.map((c) => c.id),
    serverOrder.slice(0, 3),
    'the first page is the first three conversations',
  );
  assert.deepEqual(
    run.afterMore.map((c) => c.id),
    serverOrder,
    'the second page is appended to the first, in server order, without duplicates',
  );

  assert.equal(run.event.__typename, 'MessageAddedEvent');
  assert.ok(run.event.__typename === 'MessageAddedEvent' && run.event.message.id === run.sentMessageId, JSON.stringify(run.event));
  assert.match(run.event.id, /\S/);
  assert.deepEqual(complaints, [], 'Apollo Client logged warnings or errors');
  assert.equal(lines.length, 5, lines.join('\n'));
});
