import { test } from 'node:test';
import assert from 'node:assert/strict';
import { print } from 'graphql';
import { MediaNodeDocument, SendMessageDocument, UploadMediaDocument } from './generated/graphql';
import { errorCode } from './helpers/client';
import { startTestServer, type TestServer } from './helpers/server';
import { newId } from '../src/lib/ids';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

async function uploadPdf(s: TestServer, token: string): Promise<{ id: string; url: string }> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: print(UploadMediaDocument), variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([PDF], { type: 'application/pdf' }), 'contract.pdf');
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: form,
  });
  return ((await res.json()) as { data: { uploadMedia: { id: string; url: string } } }).data.uploadMedia;
}

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
  const media = await uploadPdf(s, s.tokens.owner);
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
  const own = await uploadPdf(s, s.tokens.smsAgent);
  assert.deepEqual(await reach(s, s.tokens.smsAgent, own.id), visible);
  assert.deepEqual(await reach(s, s.tokens.agent, own.id), missing);
});
