import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AdapterMedia } from '../../src/channels/channel-adapter';
import { WhatsAppCloudAdapter, WHATSAPP_CLOUD_PROVIDER } from '../../src/channels/whatsapp-cloud/whatsapp-cloud.adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { ContentKind, MediaKind } from '../../src/modules/message/content-kind';
import { FakeGraph, TINY_PNG } from '../helpers/fake-graph';

const META = {
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG-adapter-token',
  appSecret: 'adapter-secret',
  businessAccountId: '102290129340398',
};

/** An in-memory AdapterMedia holding one upload, with the provider id cache the server keeps in provider_media. */
function memoryMedia(): AdapterMedia & { remembered: Map<string, { id: string; expiresAt: Date }> } {
  const remembered = new Map<string, { id: string; expiresAt: Date }>();
  return {
    remembered,
    file: async (id) =>
      id === 'mda_png'
        ? {
            id,
            mimeType: 'image/png',
            filename: 'label.png',
            size: TINY_PNG.length,
            sha256: '-',
            open: async () => {
              throw new Error('unused');
            },
            read: async () => TINY_PNG,
          }
        : null,
    publicUrl: (id) => `https://switchboard.test/media/${id}`,
    cachedProviderId: async (id) => remembered.get(id)?.id ?? null,
    rememberProviderId: async (id, providerId, expiresAt) => void remembered.set(id, { id: providerId, expiresAt }),
  };
}

describe('WhatsApp Cloud adapter: reactions, uploads and downloads against FakeGraph', () => {
  const graph = new FakeGraph(META);
  before(() => graph.start().then(() => undefined));
  after(() => graph.close());
  const adapter = (media?: AdapterMedia, token = META.accessToken) =>
    new WhatsAppCloudAdapter(
      {
        id: 'inb_1',
        tenantId: 'ten_1',
        channel: ChannelKind.WHATSAPP,
        provider: WHATSAPP_CLOUD_PROVIDER,
        senderAddress: '+14155550111',
        providerConfig: { ...META, accessToken: token, baseUrl: graph.url },
      },
      fetch,
      media,
    );
  const signal = () => AbortSignal.timeout(5_000);

  test('sendReaction posts a reaction message on the wamid; null takes it back with an empty emoji', async () => {
    const sent = await adapter().sendReaction({ to: '+4915112340000', channelMessageId: 'wamid.IN', emoji: '🎉' }, signal());
    assert.ok(sent.ok);
    assert.deepEqual(graph.messages.at(-1)!.body, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '4915112340000',
      type: 'reaction',
      reaction: { message_id: 'wamid.IN', emoji: '🎉' },
    });
    assert.ok((await adapter().sendReaction({ to: '+4915112340000', channelMessageId: 'wamid.IN', emoji: null }, signal())).ok);
    assert.deepEqual(graph.messages.at(-1)!.body.reaction, { message_id: 'wamid.IN', emoji: '' });
  });

  test('a 5xx on the upload is temporary but never uncertain (no message left); nothing is cached', async () => {
    const media = memoryMedia();
    graph.failNext({ status: 500, code: 1, message: 'An unknown error has occurred.' });
    const sends = graph.messages.length;
    const result = await adapter(media).send(
      { id: 'msg_1', content: { kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, mediaId: 'mda_png' } },
      { to: '+4915112340000', idempotencyKey: 'msg_1', attempt: 1, signal: signal() },
    );
    assert.ok(!result.ok);
    assert.deepEqual([result.failure.kind, result.failure.uncertain, result.failure.code], ['temporary', undefined, 'whatsapp_1']);
    assert.equal(graph.messages.length, sends);
    assert.equal(media.remembered.size, 0);
  });

  test('a deleted upload is rejected; a server without media access cannot send uploads', async () => {
    const ctx = { to: '+1', idempotencyKey: 'm', attempt: 1, signal: signal() };
    const gone = await adapter(memoryMedia()).send(
      { id: 'm', content: { kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, mediaId: 'mda_gone' } },
      ctx,
    );
    assert.deepEqual(!gone.ok && [gone.failure.kind, gone.failure.code], ['rejected', 'media_missing']);
    const noMedia = await adapter().send(
      { id: 'm', content: { kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, mediaId: 'mda_png' } },
      ctx,
    );
    assert.deepEqual(!noMedia.ok && noMedia.failure.kind, 'unsupported');
  });

  test('fetchMedia throws when Meta refuses the token or does not know the media id', async () => {
    graph.serve('555', TINY_PNG, 'image/png');
    await assert.rejects(adapter(undefined, 'wrong-token').fetchMedia({ ref: '555' }, signal()), /HTTP 401/);
    await assert.rejects(adapter().fetchMedia({ ref: '556' }, signal()), /HTTP 400/);
  });

  test('listTemplates without a WABA id says so instead of calling Meta', async () => {
    const noWaba = new WhatsAppCloudAdapter({
      id: 'inb_2',
      tenantId: 'ten_1',
      channel: ChannelKind.WHATSAPP,
      provider: WHATSAPP_CLOUD_PROVIDER,
      senderAddress: '+1',
      providerConfig: { phoneNumberId: META.phoneNumberId, accessToken: META.accessToken, baseUrl: graph.url },
    });
    const before = graph.log.length;
    const result = await noWaba.listTemplates(signal());
    assert.deepEqual(!result.ok && result.status, 'not_found');
    assert.equal(graph.log.length, before);
  });
});
