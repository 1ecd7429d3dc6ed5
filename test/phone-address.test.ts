import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendMessageDocument } from './generated/graphql';
import { errorCode } from './helpers/client';
import { startTestServer } from './helpers/server';
import { ContactIdentity } from '../src/modules/contact/contact-identity.entity';
import { Message } from '../src/modules/message/message.entity';

test('numbers in no numbering plan are BAD_USER_INPUT naming the address, and write nothing', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const counts = async () => {
    const em = s.db.em.fork();
    return { identities: await em.count(ContactIdentity, {}), messages: await em.count(Message, {}) };
  };
  const before = await counts();
  for (const address of ['+999 1234 5678', '+1 000 000 0000']) {
    const res = await s.client().request(SendMessageDocument, {
      input: { recipient: { channel: { inboxId: s.demo.sms.id, address } }, content: { text: { body: 'Hi' } } },
    });
    assert.equal(errorCode(res), 'BAD_USER_INPUT', address);
    const fields = res.errors![0].extensions!.fields as Array<{ field: string }>;
    assert.deepEqual(
      fields.map((f) => f.field),
      ['input.recipient.channel.address'],
      address,
    );
  }
  assert.deepEqual(await counts(), before);

  const ok = await s.client().request(SendMessageDocument, {
    input: { recipient: { channel: { inboxId: s.demo.sms.id, address: '+1 202 555 0143' } }, content: { text: { body: 'Hi' } } },
  });
  assert.equal(ok.errors, undefined);
});
