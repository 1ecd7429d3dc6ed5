import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaNodeDocument, SendMessageDocument } from './generated/graphql';
import { MediaUse } from '../src/modules/media/media-use.entity';
import { Message } from '../src/modules/message/message.entity';
import { errorCode } from './helpers/client';
import { startTestServer, type TestServer } from './helpers/server';
import { PDF, uploadFile } from './helpers/upload';
import { newId } from '../src/lib/ids';

/** Sniffed as image/png (the signature is what counts), so SMS can carry it as well as WhatsApp. */
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);

/** What each way of reaching a media answers a viewer: node(id:) and GET /media/:id with their token. */
async function reach(s: TestServer, token: string, mediaId: string) {
  const node = await s.client(token).request(MediaNodeDocument, { id: mediaId });
  const get = await fetch(`${s.httpUrl}/media/${mediaId}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    node: node.data?.node?.id === mediaId ? 'visible' : (errorCode(node) ?? `data.node: ${JSON.stringify(node.data?.node)}`),
    get: get.status,
    getBody: get.status === 200 ? Buffer.from(await get.arrayBuffer()).equals(PDF) : await get.text(),
  };
}

test('media follows the messages that use it: an agent outside the inbox gets what a missing id gets (node null, 404)', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  // demo.agent is a member of the WhatsApp inbox only, demo.smsAgent of the SMS inbox only.
  const media = await uploadFile(s, s.tokens.owner);
  const visible = { node: 'visible', get: 200, getBody: true };

  // Not used by any message yet: its uploader, owners and admins only.
  assert.deepEqual(await reach(s, s.tokens.owner, media.id), visible);
  assert.deepEqual(await reach(s, s.tokens.admin, media.id), visible);
  const missing = await reach(s, s.tokens.agent, newId('media'));
  assert.deepEqual([missing.node, missing.get], ['data.node: null', 404]);
  assert.deepEqual(await reach(s, s.tokens.agent, media.id), missing);
  assert.deepEqual(await reach(s, s.tokens.smsAgent, media.id), missing);

  // Sent in the WhatsApp inbox: its members see it; the SMS-only agent still does not.
  const anna = s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!;
  const sent = await s.client(s.tokens.owner).request(SendMessageDocument, {
    input: { recipient: { conversation: { conversationId: anna.id } }, content: { media: { mediaId: media.id, caption: 'Signed copy' } } },
  });
  assert.equal(sent.errors, undefined);
  assert.deepEqual(await reach(s, s.tokens.agent, media.id), visible);
  assert.deepEqual(await reach(s, s.tokens.smsAgent, media.id), missing);

  // An agent's own upload is theirs to see before they send it.
  const own = await uploadFile(s, s.tokens.smsAgent);
  assert.deepEqual(await reach(s, s.tokens.smsAgent, own.id), visible);
  assert.deepEqual(await reach(s, s.tokens.agent, own.id), missing);
});

test('a media id the sender cannot see is NOT_FOUND in sendMessage, names the field and writes nothing', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const png = { bytes: PNG, type: 'image/png', name: 'receipt.png' };
  const anna = s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!; // WhatsApp
  const george = s.demo.conversations.find((c) => c.name === 'George Brown')!; // SMS
  const send = (token: string, conversationId: string, mediaId: string) =>
    s.client(token).request(SendMessageDocument, {
      input: { recipient: { conversation: { conversationId } }, content: { media: { mediaId, caption: 'See attached' } } },
    });
  const written = async () => {
    const em = s.db.em.fork();
    return { messages: await em.count(Message, { tenantId: s.demo.tenant.id }), uses: await em.count(MediaUse, {}) };
  };

  // Used in the WhatsApp inbox only: the SMS-only agent knows its id but cannot see it.
  const media = await uploadFile(s, s.tokens.owner, png);
  assert.equal((await send(s.tokens.owner, anna.id, media.id)).errors, undefined);
  const before = await written();

  const refused = await send(s.tokens.smsAgent, george.id, media.id);
  assert.equal(errorCode(refused), 'NOT_FOUND', JSON.stringify(refused.errors));
  assert.equal(refused.data, null);
  const fields = (r: typeof refused) => (r.errors![0].extensions!.fields as { field: string }[]).map((f) => f.field);
  assert.deepEqual(fields(refused), ['input.content.media.mediaId']);
  // Same answer as an id that does not exist, and nothing written: no message, no new use, still unseen.
  const missing = await send(s.tokens.smsAgent, george.id, newId('media'));
  assert.equal(errorCode(missing), 'NOT_FOUND');
  assert.deepEqual(fields(missing), fields(refused));
  assert.deepEqual(await written(), before);
  assert.deepEqual((await reach(s, s.tokens.smsAgent, media.id)).get, 404);

  // What the sender may see goes through: media used in their inbox, their own uploads; owners and admins anything.
  assert.equal((await send(s.tokens.agent, anna.id, media.id)).errors, undefined);
  const own = await uploadFile(s, s.tokens.smsAgent, png);
  assert.equal((await send(s.tokens.smsAgent, george.id, own.id)).errors, undefined);
  assert.equal((await send(s.tokens.admin, george.id, media.id)).errors, undefined);
  assert.equal((await reach(s, s.tokens.smsAgent, media.id)).get, 200);
});
