import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SANDBOX_HISTORY_LIMIT,
  SandboxCarrier,
  sandboxStatusEvent,
  type SandboxSendRequest,
} from '../../src/channels/sandbox/sandbox.carrier';
import { sandboxSettings } from '../../src/channels/sandbox/sandbox.settings';
import { ContentKind } from '../../src/modules/message/content-kind';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';

/** A send request the carrier answers at once and calls back for nothing (no HTTP involved). */
const request = (messageId: string, body = 'Hello'): SandboxSendRequest => ({
  inboxId: 'ibx_1',
  messageId,
  to: '+48500100200',
  content: { kind: ContentKind.TEXT, body },
  settings: sandboxSettings({ statusCallbacks: [] }),
  readReceipts: true,
  callback: { url: 'http://127.0.0.1:1/webhooks/ibx_1', secret: 's' },
  signal: new AbortController().signal,
});

test('the default bound is 10,000 entries', () => {
  assert.equal(SANDBOX_HISTORY_LIMIT, 10_000);
  assert.equal(new SandboxCarrier().historyLimit, 10_000);
});

test('accepted and requests keep the newest historyLimit entries, and the count helpers still answer', async () => {
  const carrier = new SandboxCarrier({ historyLimit: 3 });
  for (const id of ['m1', 'm2', 'm3', 'm4', 'm5']) assert.equal((await carrier.send(request(id))).ok, true);
  assert.deepEqual(
    carrier.accepted.map((a) => a.messageId),
    ['m3', 'm4', 'm5'],
  );
  assert.deepEqual(
    carrier.requests.map((r) => r.messageId),
    ['m3', 'm4', 'm5'],
  );
  assert.equal(carrier.acceptedCount('m5'), 1);
  assert.equal(carrier.requestCount('m5'), 1);
  assert.equal(carrier.acceptedCount('m1'), 0, 'forgotten');

  // A recent message id is still answered, not accepted again (the idempotency promise within the bound).
  await carrier.send(request('m5'));
  assert.equal(carrier.requests.at(-1)?.outcome, 'duplicate');
  assert.equal(carrier.requests.at(-1)?.attempt, 2);
  assert.equal(carrier.accepted.length, 3);
});

test('per-message state (seen, tries) is bounded too: the oldest message ids are forgotten', async () => {
  const carrier = new SandboxCarrier({ historyLimit: 2 });
  // Two attempts fail temporarily, the third would be accepted: the try count is per message id.
  const flaky = request('flaky', 'Flaky #fail:temporary:2');
  assert.equal((await carrier.send(flaky)).ok, false);
  await carrier.send(request('a'));
  await carrier.send(request('b'));
  // 'flaky' was evicted by 'a' and 'b', so its next request counts as a first attempt again.
  assert.equal((await carrier.send(flaky)).ok, false);
  assert.equal(carrier.requests.at(-1)?.attempt, 1);
  // Likewise 'a' is no longer remembered as accepted: it is accepted anew.
  await carrier.send(request('c'));
  await carrier.send(request('a'));
  assert.equal(carrier.requests.at(-1)?.outcome, 'accepted');
});

test('callbacks keep the newest historyLimit posts', async () => {
  const carrier = new SandboxCarrier({ historyLimit: 2, fetch: async () => new Response('{}', { status: 200 }) });
  const target = { url: 'http://sandbox.test/webhooks/ibx_1', secret: 's' };
  for (const status of [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]) {
    assert.equal(await carrier.post(target, [sandboxStatusEvent('sandbox.x', status)]), 200);
  }
  assert.deepEqual(
    carrier.callbacks.map((c) => (c.events[0] as { status?: string }).status),
    ['delivered', 'read'],
  );
});
