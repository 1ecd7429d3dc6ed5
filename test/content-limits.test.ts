import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SendMessageDocument, type SendMessageInput } from './generated/graphql';
import { errorCode } from './helpers/client';
import { startTestServer, type TestServer } from './helpers/server';
import { OutboxEntry } from '../src/modules/delivery/outbox-entry.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { IdempotencyRecord } from '../src/modules/idempotency/idempotency-record.entity';
import { Message } from '../src/modules/message/message.entity';

/** Rows a send could write; a refused send must leave every count as it was. */
async function counts(s: TestServer) {
  const em = s.db.em.fork();
  return {
    messages: await em.count(Message, {}),
    outbox: await em.count(OutboxEntry, {}),
    events: await em.count(DomainEvent, {}),
    idempotencyRecords: await em.count(IdempotencyRecord, {}),
  };
}

describe('content size caps over HTTP', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
  });
  after(() => s.close());

  const conversationId = () => s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!.id;

  async function refusedWith(input: SendMessageInput): Promise<{ field: string; message: string }[]> {
    const before = await counts(s);
    const res = await s.client().request(SendMessageDocument, { input });
    assert.equal(errorCode(res), 'BAD_USER_INPUT', JSON.stringify(res.errors)?.slice(0, 500));
    assert.equal(res.data ?? null, null);
    assert.deepEqual(await counts(s), before, 'a refused send wrote something');
    return res.errors![0].extensions!.fields as { field: string; message: string }[];
  }

  test('a 900 KB note is refused naming input.content.note.body; one at the cap is stored', async () => {
    const recipient = { conversation: { conversationId: conversationId() } };
    const fields = await refusedWith({ recipient, content: { note: { body: 'x'.repeat(900 * 1024) } }, idempotencyKey: 'huge-note' });
    assert.deepEqual(fields, [{ field: 'input.content.note.body', message: 'must be at most 20000 characters.' }]);

    const ok = await s.client().data(SendMessageDocument, { input: { recipient, content: { note: { body: 'n'.repeat(20_000) } } } });
    assert.equal(ok.sendMessage.message.direction, 'INTERNAL');
  });

  test('a template with 20,000 parameters is refused once, on that component’s parameters', async () => {
    const fields = await refusedWith({
      recipient: { conversation: { conversationId: conversationId() } },
      content: {
        template: {
          name: 'order_ready',
          language: 'en',
          components: [
            { type: 'HEADER', parameters: [] },
            { type: 'BODY', parameters: [{ text: '4827' }] },
            { type: 'BUTTON', subType: 'quick_reply', index: 0, parameters: [] },
            { type: 'BUTTON', subType: 'url', index: 1, parameters: Array.from({ length: 20_000 }, () => ({ text: 'x' })) },
          ],
        },
      },
    });
    assert.deepEqual(
      fields.map((f) => f.field),
      ['input.content.template.components[3].parameters'],
    );
  });

  test('an idempotency key over 255 characters is refused before anything is looked up', async () => {
    const fields = await refusedWith({
      recipient: { conversation: { conversationId: conversationId() } },
      content: { text: { body: 'Hello' } },
      idempotencyKey: 'k'.repeat(256),
    });
    assert.deepEqual(
      fields.map((f) => f.field),
      ['input.idempotencyKey'],
    );
  });
});
