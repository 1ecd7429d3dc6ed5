import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initDatabase } from '../src/db/orm';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { DeliverySendTextDocument } from './generated/graphql';
import { SandboxCarrier } from './helpers/delivery';
import { holdFirstAnswer, instantWhatsApp } from './helpers/send-in-flight';
import { startTestServer, type TestServer } from './helpers/server';

/**
 * A server whose provider holds its first answer until `release`: the send is with the provider
 * (accepted there) while the worker still waits for the reply, as during a SIGTERM mid-send.
 */
async function serverWithSendInFlight(t: { after: (fn: () => unknown) => void }) {
  const carrier = new SandboxCarrier();
  const cleanup: (() => unknown)[] = [() => carrier.close()];
  t.after(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  const s: TestServer = await startTestServer({
    sandbox: carrier,
    beforeStart: instantWhatsApp,
  });
  cleanup.push(() => s.close());
  const { accepted, release } = holdFirstAnswer(carrier);
  cleanup.push(release);
  const anna = s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!;
  const { sendMessage } = await s.client().data(DeliverySendTextDocument, { conversationId: anna.id, body: 'Sent during a shutdown' });
  await accepted;
  /** The message as the next process will find it in the database. */
  const statusAfterStop = async () => {
    const db = await initDatabase(s.config);
    try {
      return (await db.em.fork().findOneOrFail(Message, sendMessage.message.id)).deliveryStatus;
    } finally {
      await db.orm.close(true);
    }
  };
  return { s, release, statusAfterStop };
}

test('a graceful stop lets the send already with the provider finish: the message is recorded SENT, not left for a resend', async (t) => {
  const { s, release, statusAfterStop } = await serverWithSendInFlight(t);

  const stopped = s.server.close({ graceMs: 30_000 });
  // The provider answers only after the stop began: the worker must still be there to record it.
  release();
  await stopped;

  assert.equal(await statusAfterStop(), DeliveryStatus.SENT);
});

test('the grace is bounded: a provider that never answers does not hold the stop, and the message stays PENDING for the next start', async (t) => {
  const { s, statusAfterStop } = await serverWithSendInFlight(t);

  const started = Date.now();
  await s.server.close({ graceMs: 300 });

  // Generous: proves "not stuck", not a speed goal.
  assert.ok(Date.now() - started < 10_000, `the stop took ${Date.now() - started} ms`);
  assert.equal(await statusAfterStop(), DeliveryStatus.PENDING);
});
