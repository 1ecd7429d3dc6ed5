import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OutboxDeliveryQueue } from '../src/modules/delivery/delivery-queue';
import { OutboxEntry } from '../src/modules/delivery/outbox-entry.entity';
import { DeliverySendTextDocument, SimulateInboundDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/server';

/**
 * A send's place in its conversation's queue is taken under the conversation's lock, after the
 * messages that committed before it: commit order is claim order, whatever the id and the clock
 * said when the send began. The race itself (a send that drew its time, then waited for the lock
 * while a later one committed and was claimed) has no seam to hold it open; a later message that
 * another server (its clock ahead) queued and already claimed puts the new send in the same spot.
 */
describe('send order key', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
  });
  after(async () => {
    await s?.close();
  });

  test("a send committed after a claimed message of its conversation queues behind it, even when that one's queue time is ahead", async () => {
    const client = s.client();
    const conversationId = (
      await client.data(SimulateInboundDocument, { inboxId: s.demo.whatsapp.id, from: '+48500400001', text: 'Hi', name: 'Skewed' })
    ).simulateInboundMessage.conversation.id;
    const first = (await client.data(DeliverySendTextDocument, { conversationId, body: 'Queued by the fast clock' })).sendMessage.message
      .id;
    // Another server, its clock 30 s ahead, queued this one and a worker holds its lease.
    const ahead = new Date(Date.now() + 30_000);
    await s.db.em.fork().nativeUpdate(OutboxEntry, { messageId: first }, { queuedAt: ahead, attempts: 1, lockedUntil: ahead });

    const second = (await client.data(DeliverySendTextDocument, { conversationId, body: 'Committed afterwards' })).sendMessage.message.id;
    const entries = await s.db.em.fork().find(OutboxEntry, { messageId: { $in: [first, second] } });
    const queuedAt = (id: string) => entries.find((e) => e.messageId === id)!.queuedAt.getTime();
    assert.ok(queuedAt(second) > queuedAt(first), 'the later commit is later in the conversation order');

    const queue = new OutboxDeliveryQueue(s.db, 60_000);
    const claimed = await queue.claim(10);
    assert.deepEqual(
      claimed.map((j) => j.messageId),
      [],
      'nothing is claimable while the earlier-committed message is with a worker',
    );
  });
});
