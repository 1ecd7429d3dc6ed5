import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryConfig } from '../src/config';
import { OutboxEntry, OutboxState } from '../src/modules/delivery/outbox-entry.entity';
import { PendingStatus } from '../src/modules/delivery/pending-status.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { DeliverySendTextDocument } from './generated/graphql';
import { historyOf, testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { FakeMeta, type MetaBehaviour, type MetaCopy } from './helpers/fake-meta';
import { startTestServer } from './helpers/server';
import { OutboxDeliveryQueue } from '../src/modules/delivery/delivery-queue';
import { DeliveryWorker } from '../src/modules/delivery/delivery.worker';
import type { DeliveryJob } from '../src/modules/delivery/delivery-queue';
import { deferred } from './helpers/delivery';
import { createWhatsAppCloudInbox } from './helpers/whatsapp-inbox';

const { PENDING, SENT, DELIVERED, READ, FAILED } = DeliveryStatus;
const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'EAAG-test-token';
const APP_SECRET = 'meta-app-secret';

/**
 * A server with one WhatsApp Cloud inbox in front of a scripted fake Meta: the text of a message
 * says what Meta does with it (`#late`: accepts, answers after the adapter's timeout; `#late-silent`:
 * the same and never reports it; `#late-silent-once`: so the first time, then accepts; `#error-once`:
 * 500 without accepting, then accepts).
 */
async function whatsAppServer(
  delivery: DeliveryConfig,
  webhookDelayMs = 20,
  opts: { deliveryWorker?: boolean; holdAnswer?: (copy: MetaCopy) => Promise<void> | null } = {},
) {
  const tries = new Map<string, number>();
  const script = (text: string): MetaBehaviour => {
    const n = (tries.get(text) ?? 0) + 1;
    tries.set(text, n);
    if (text.includes('#late-silent-once')) return n === 1 ? 'late_silent' : 'ok';
    if (text.includes('#late-silent')) return 'late_silent';
    if (text.includes('#late')) return 'late';
    if (text.includes('#error-once')) return n === 1 ? 'error' : 'ok';
    return 'ok';
  };
  const meta = new FakeMeta({
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: ACCESS_TOKEN,
    appSecret: APP_SECRET,
    faults: { serverErrorRate: 0, lateAcceptRate: 0, lateAnswerMs: delivery.leaseMs, silentRate: 0 },
    random: Math.random,
    script,
    webhookDelayMs,
    holdAnswer: (copy) => opts.holdAnswer?.(copy) ?? null,
  });
  await meta.start();
  let inboxId = '';
  const s = await startTestServer({
    config: { delivery },
    deliveryWorker: opts.deliveryWorker,
    beforeStart: async (db, demo) => {
      const em = db.em.fork();
      const inbox = createWhatsAppCloudInbox(em, demo.tenant.id, {
        phoneNumberId: PHONE_NUMBER_ID,
        accessToken: ACCESS_TOKEN,
        appSecret: APP_SECRET,
        baseUrl: meta.url,
      });
      await em.flush();
      inboxId = inbox.id;
    },
  });
  meta.webhookUrl = `${s.httpUrl}/webhooks/${inboxId}`;
  assert.equal(await meta.inbound('4915112340000', 'wamid.IN1', 'Hallo!'), 200);
  const conversationId = (await s.db.em.fork().findOneOrFail(Message, { inboxId, channelMessageId: 'wamid.IN1' })).conversationId;
  const send = async (body: string) => (await s.client().data(DeliverySendTextDocument, { conversationId, body })).sendMessage.message.id;
  const waitFor = (id: string, pred: (m: Message) => boolean) =>
    waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, id, pred, 20_000);
  const outbox = (messageId: string) => s.db.em.fork().findOneOrFail(OutboxEntry, { messageId });
  const requestsFor = (messageId: string) => meta.requestLog.filter((r) => r.messageId === messageId);
  return { s, meta, inboxId, send, waitFor, outbox, requestsFor };
}

describe('WhatsApp Cloud sends whose outcome is unknown (settle window of a minute)', () => {
  let w: Awaited<ReturnType<typeof whatsAppServer>>;
  // The adapter gives up after leaseMs / 2 = 300 ms; Meta answers '#late' messages after 600 ms and
  // reports each status 500 ms after the last.
  before(async () => (w = await whatsAppServer(testDeliveryConfig({ leaseMs: 600, uncertainSettleMs: 60_000 }), 500)));
  after(async () => {
    await w?.s.close();
    await w?.meta.close();
  });

  test('a send Meta accepted but answered too late is not sent again; the status carrying our id settles it', async () => {
    const id = await w.send('Your order shipped #late');
    const read = await w.waitFor(id, (m) => m.deliveryStatus === READ);
    const [copy, ...others] = w.meta.copiesOf(id);
    assert.deepEqual(others, [], 'the customer got it once');
    assert.equal(w.requestsFor(id).length, 1, 'and it was sent once');
    assert.equal(read.channelMessageId, copy.wamid, 'the wamid came from the status webhook');
    assert.deepEqual(historyOf(read), [PENDING, SENT, DELIVERED, READ]);
    const entry = await w.outbox(id);
    assert.equal(entry.state, OutboxState.DONE);
    assert.equal(entry.uncertainSince, null);
    assert.match(entry.lastError ?? '', /^uncertain: timeout/);
  });

  test("another copy's statuses reach the message by our id instead of being parked; its failure does not fail it", async () => {
    const id = await w.send('Plain message');
    const sent = await w.waitFor(id, (m) => m.deliveryStatus === READ);
    assert.equal(w.meta.copiesOf(id).length, 1);
    assert.equal((await w.outbox(id)).lastError, null, 'answered in time: nothing uncertain');
    const stray = { ...w.meta.copiesOf(id)[0], wamid: 'wamid.OTHER-COPY' };
    const parkedBefore = await w.s.db.em.fork().count(PendingStatus, { inboxId: w.inboxId });

    const fresh = await w.send('Second plain message');
    await w.waitFor(fresh, (m) => m.deliveryStatus === READ);
    const other = { ...w.meta.copiesOf(fresh)[0], wamid: 'wamid.OTHER-COPY-2' };
    assert.equal(await w.meta.reportNow(other, 'failed', { errors: [{ code: 131026, title: 'Message undeliverable' }] }), 200);
    assert.equal(await w.meta.reportNow(stray, 'read'), 200);
    const after = await w.s.db.em.fork().findOneOrFail(Message, fresh);
    assert.equal(after.deliveryStatus, READ, "the other copy's failure is ignored");
    assert.equal(after.channelMessageId, w.meta.copiesOf(fresh)[0].wamid, 'the tracked copy stays');
    assert.equal((await w.s.db.em.fork().findOneOrFail(Message, id)).channelMessageId, sent.channelMessageId);
    assert.equal(await w.s.db.em.fork().count(PendingStatus, { inboxId: w.inboxId }), parkedBefore, 'nothing parked');
  });
});

describe('WhatsApp Cloud sends nobody reports (settle window of 300 ms, 2 attempts)', () => {
  let w: Awaited<ReturnType<typeof whatsAppServer>>;
  before(async () => (w = await whatsAppServer(testDeliveryConfig({ leaseMs: 600, uncertainSettleMs: 300, maxAttempts: 2 }))));
  after(async () => {
    await w?.s.close();
    await w?.meta.close();
  });

  test('a 5xx is uncertain: sent again only after the settle window, once', async () => {
    const id = await w.send('Blip #error-once');
    const sent = await w.waitFor(id, (m) => m.deliveryStatus === READ);
    const requests = w.requestsFor(id);
    assert.equal(requests.length, 2);
    assert.ok(requests[1].at - requests[0].at >= 300, `resent ${requests[1].at - requests[0].at} ms after the 5xx`);
    assert.equal(w.meta.copiesOf(id).length, 1);
    assert.equal(sent.failureCode, null);
  });

  test('an unanswered, unreported last attempt ends FAILED `uncertain`, and a late report still brings it to READ', async () => {
    const id = await w.send('Lost in the post #late-silent');
    const failed = await w.waitFor(id, (m) => m.deliveryStatus === FAILED);
    assert.equal(failed.failureCode, 'uncertain');
    assert.equal(failed.channelMessageId, null);
    const copies = w.meta.copiesOf(id);
    assert.equal(copies.length, 2, 'each unreported attempt was sent again once the window passed (2 attempts)');
    assert.equal((await w.outbox(id)).state, OutboxState.FAILED);

    // Meta's report of the first copy arrives at last.
    assert.equal(await w.meta.reportNow(copies[0], 'read'), 200);
    const read = await w.waitFor(id, (m) => m.deliveryStatus === READ);
    assert.equal(read.channelMessageId, copies[0].wamid);
    assert.equal(read.failureCode, null);
    assert.equal(read.failureReason, null);
    assert.deepEqual(historyOf(read), [PENDING, FAILED, READ]);
    assert.equal((await w.outbox(id)).state, OutboxState.DONE);
    // The second copy failing does not undo the first copy's READ.
    assert.equal(await w.meta.reportNow(copies[1], 'failed', { errors: [{ code: 131026 }] }), 200);
    assert.equal((await w.s.db.em.fork().findOneOrFail(Message, id)).deliveryStatus, READ);
  });
});

describe('A report that lands while the resend is being prepared (worker held by a hook)', () => {
  // Our own worker (the server's is off) so a test can hold an attempt between reading the message
  // and asking Meta: the window in which the soak saw a message sent again after Meta reported it.
  const delivery = testDeliveryConfig({ leaseMs: 600, uncertainSettleMs: 50, maxAttempts: 3 });
  let w: Awaited<ReturnType<typeof whatsAppServer>>;
  before(async () => (w = await whatsAppServer(delivery, 20, { deliveryWorker: false })));
  after(async () => {
    await w?.s.close();
    await w?.meta.close();
  });

  function holdingWorker(hold: (job: DeliveryJob) => Promise<void>) {
    return new DeliveryWorker({
      db: w.s.db,
      pubsub: w.s.server.deps.pubsub,
      config: delivery,
      adapters: w.s.server.deps.channels,
      queue: new OutboxDeliveryQueue(w.s.db, delivery.leaseMs, { settleMs: delivery.uncertainSettleMs, idempotentSends: () => false }),
      beforeSend: hold,
    });
  }

  test('a report acknowledged after the resend read the message but before it was sent stops the resend', async (t) => {
    const held = deferred();
    const release = deferred();
    const worker = holdingWorker(async (job) => {
      if (job.attempt !== 2) return;
      held.resolve();
      await release.promise;
    });
    t.after(() => worker.stop());
    // First attempt: Meta accepts, answers after the adapter's timeout (uncertain) and reports nothing yet.
    const id = await w.send('Your parcel is at the door #late-silent-once');
    worker.start();
    await held.promise;
    const [copy] = w.meta.copiesOf(id);
    assert.ok(copy, 'Meta accepted the first attempt');
    // Meta's report of that copy reaches us while the second attempt is about to go out.
    assert.equal(await w.meta.reportNow(copy, 'sent'), 200);
    release.resolve();
    await worker.stop(10_000);

    assert.equal(w.meta.copiesOf(id).length, 1, 'the customer got it once');
    assert.equal(w.requestsFor(id).length, 1, 'it was not sent again after the report');
    const message = await w.s.db.em.fork().findOneOrFail(Message, id);
    assert.equal(message.deliveryStatus, SENT);
    assert.equal(message.channelMessageId, copy.wamid);
    assert.equal((await w.outbox(id)).state, OutboxState.DONE);
  });
});

describe('A report of the first copy that arrives while the second is with Meta (its answer held)', () => {
  let hold: (copy: MetaCopy) => Promise<void> | null = () => null;
  let w: Awaited<ReturnType<typeof whatsAppServer>>;
  // The adapter waits 2 s (leaseMs / 2); Meta answers the first '#late-silent-once' copy after 4 s.
  before(
    async () =>
      (w = await whatsAppServer(testDeliveryConfig({ leaseMs: 4000, uncertainSettleMs: 50, maxAttempts: 3 }), 20, {
        holdAnswer: (copy) => hold(copy),
      })),
  );
  after(async () => {
    await w?.s.close();
    await w?.meta.close();
  });

  test('the report settles the message, the second answer is dropped by the fence, and nothing is sent a third time', async () => {
    const second = deferred<MetaCopy>();
    const answer = deferred();
    hold = (copy) => {
      if (copy.messageId === null || w.meta.copiesOf(copy.messageId).length !== 2) return null;
      second.resolve(copy);
      return answer.promise;
    };
    const id = await w.send('Table for two at eight #late-silent-once');
    const copy2 = await second.promise;
    const [copy1] = w.meta.copiesOf(id);
    // Sent again (nothing reported it within the window); now Meta reports the first copy, read.
    assert.equal(await w.meta.reportNow(copy1, 'read'), 200);
    answer.resolve();
    await w.meta.whenIdle();
    const read = await w.waitFor(id, (m) => m.deliveryStatus === READ);
    assert.equal(read.channelMessageId, copy1.wamid, 'the reported copy is the one tracked');
    assert.equal((await w.outbox(id)).state, OutboxState.DONE);
    // The second copy's own statuses arrive by our id and move nothing backwards.
    await w.meta.whenIdle();
    const settled = await w.s.db.em.fork().findOneOrFail(Message, id);
    assert.equal(settled.deliveryStatus, READ);
    assert.equal(settled.channelMessageId, copy1.wamid);
    assert.deepEqual(
      w.meta.copiesOf(id).map((c) => c.wamid),
      [copy1.wamid, copy2.wamid],
      'two copies (the first went unreported past the window), never a third',
    );
    assert.equal(w.requestsFor(id).length, 2);
  });
});
