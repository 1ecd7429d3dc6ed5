import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { DeliveryWorker } from '../src/modules/delivery/delivery.worker';
import { RetentionJob } from '../src/modules/retention/retention.job';
import { WindowScheduler } from '../src/modules/window/window.scheduler';
import { startTestServer } from './helpers/server';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('a server whose last start step fails stops everything it started, frees its port and reports the error', async (t) => {
  const failure = new Error('window scan failed');
  const scheduler = mock.method(WindowScheduler.prototype, 'start', async () => Promise.reject(failure));
  const workerStarts = mock.method(DeliveryWorker.prototype, 'start');
  const workerStops = mock.method(DeliveryWorker.prototype, 'stop');
  const prunerStarts = mock.method(RetentionJob.prototype, 'start');
  const prunerStops = mock.method(RetentionJob.prototype, 'stop');
  t.after(() => mock.restoreAll());
  const port = await freePort();

  await assert.rejects(startTestServer({ config: { port, eventPruneIntervalMs: 60_000 } }), failure);
  assert.equal(scheduler.mock.callCount(), 1);
  assert.equal(workerStarts.mock.callCount(), 1, 'the worker had started');
  assert.ok(workerStops.mock.callCount() >= 1, 'and was stopped');
  assert.equal(prunerStarts.mock.callCount(), 1);
  assert.ok(prunerStops.mock.callCount() >= 1);
  assert.equal(await listening(port), false, 'nothing listens on the port any more');

  // The port can be used again at once: a new server starts there and answers.
  mock.restoreAll();
  const s = await startTestServer({ config: { port } });
  t.after(() => s.close());
  assert.equal(s.httpUrl, `http://127.0.0.1:${port}`);
  assert.equal((await s.client().raw('{ viewer { id } }')).errors, undefined);
});

test('a port already in use fails the start with the listen error instead of an unhandled error event', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const { port } = blocker.address() as net.AddressInfo;
  const workerStarts = mock.method(DeliveryWorker.prototype, 'start');
  t.after(() => mock.restoreAll());

  await assert.rejects(startTestServer({ config: { port } }), /EADDRINUSE/);
  assert.equal(workerStarts.mock.callCount(), 0, 'nothing started before the server listened');
});
