import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdapterInbox, AdapterMedia, SendContext } from '../../src/channels/channel-adapter';
import { instagramAdapter } from '../../src/channels/instagram/instagram.adapter';
import { messengerAdapter } from '../../src/channels/messenger/messenger.adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { ContentKind, MediaKind } from '../../src/modules/message/content-kind';
import { FakeMetaMessaging } from '../helpers/fake-meta-messaging';

const PAGE = '104512345678901';
const IG = '17841400000000001';
const TOKEN = 'EAAB-unit-token';
const NOW = new Date('2026-12-06T12:00:00Z');
const HOUR = 3_600_000;

const ctx = (lastInboundAt: Date | null, id = 'msg_1'): SendContext => ({
  to: 'PSID-1',
  idempotencyKey: id,
  attempt: 1,
  signal: AbortSignal.timeout(5_000),
  lastInboundAt,
});

/** Only publicUrl is used by these adapters. */
const media = { publicUrl: (id: string) => `https://sb.example/media/${id}?sig=abc` } as unknown as AdapterMedia;

describe('Messenger/Instagram adapters against the fake Graph server', () => {
  const page = new FakeMetaMessaging({ object: 'page', accountId: PAGE, accessToken: TOKEN, appSecret: 's' });
  const ig = new FakeMetaMessaging({ object: 'instagram', accountId: IG, accessToken: TOKEN, appSecret: 's' });
  const inbox = (channel: ChannelKind, config: Record<string, unknown>): AdapterInbox => ({
    id: 'inbox_1',
    tenantId: 't',
    channel,
    provider: channel === ChannelKind.MESSENGER ? 'messenger' : 'instagram',
    senderAddress: 'x',
    providerConfig: config,
  });
  const fb = (config: Record<string, unknown> = {}) =>
    messengerAdapter(inbox(ChannelKind.MESSENGER, { pageId: PAGE, pageAccessToken: TOKEN, appSecret: 's', baseUrl: page.url, ...config }), {
      fetch,
      media,
      now: () => NOW,
    });
  const insta = () =>
    instagramAdapter(inbox(ChannelKind.INSTAGRAM, { accountId: IG, accessToken: TOKEN, appSecret: 's', baseUrl: ig.url }), {
      fetch,
      now: () => NOW,
    });

  before(async () => {
    await page.start();
    await ig.start();
  });
  after(async () => {
    await page.close();
    await ig.close();
  });

  test('RESPONSE inside 24 h, the HUMAN_AGENT tag inside 7 days, refused without a request after that', async () => {
    const text = { kind: ContentKind.TEXT as const, body: 'hello' };
    assert.ok((await fb().send({ id: 'a', content: text }, ctx(new Date(NOW.getTime() - 23 * HOUR)))).ok);
    assert.deepEqual(page.sends().at(-1)!.messaging_type, 'RESPONSE');
    assert.ok((await fb().send({ id: 'b', content: text }, ctx(new Date(NOW.getTime() - 48 * HOUR)))).ok);
    assert.deepEqual([page.sends().at(-1)!.messaging_type, page.sends().at(-1)!.tag], ['MESSAGE_TAG', 'HUMAN_AGENT']);
    const before = page.sends().length;
    const late = await fb().send({ id: 'c', content: text }, ctx(new Date(NOW.getTime() - 8 * 24 * HOUR)));
    assert.ok(!late.ok);
    assert.equal(late.failure.kind, 'window_closed');
    assert.equal(page.sends().length, before, 'nothing went to Meta');
  });

  test("Meta's window refusal (10/2018278) fails as window_closed, 551 as rejected", async () => {
    page.nextSend('window', 'rejected');
    const text = { kind: ContentKind.TEXT as const, body: 'late' };
    const window = await fb().send({ id: 'd', content: text }, ctx(null));
    assert.ok(!window.ok);
    assert.deepEqual([window.failure.kind, window.failure.code], ['window_closed', 'meta_10_2018278']);
    const gone = await fb().send({ id: 'e', content: text }, ctx(null));
    assert.ok(!gone.ok);
    assert.deepEqual([gone.failure.kind, gone.failure.code], ['rejected', 'meta_551_1545041']);
  });

  test('an uploaded file goes as an attachment by its signed URL; a caption goes first as text', async () => {
    const before = page.sends().length;
    const result = await fb().send(
      { id: 'f', content: { kind: ContentKind.MEDIA, mediaKind: MediaKind.DOCUMENT, mediaId: 'med_1', caption: 'Your invoice' } },
      ctx(null),
    );
    assert.ok(result.ok);
    assert.deepEqual(
      page
        .sends()
        .slice(before)
        .map((b) => b.message),
      [
        { text: 'Your invoice' },
        { attachment: { type: 'file', payload: { url: 'https://sb.example/media/med_1?sig=abc', is_reusable: true } } },
      ],
    );
  });

  test('rich content: reply-only cards become quick replies, others a generic template; Instagram has no call buttons', async () => {
    await fb().send(
      {
        id: 'g',
        content: {
          kind: ContentKind.RICH,
          cards: [{ body: { text: 'Pick one' }, actions: [{ type: 'reply', label: 'Yes', value: 'Y' }] }],
        },
      },
      ctx(null),
    );
    assert.deepEqual(page.sends().at(-1)!.message, {
      text: 'Pick one',
      quick_replies: [{ content_type: 'text', title: 'Yes', payload: 'Y' }],
    });
    const card = {
      header: { title: 'Order 1042', mediaUrl: 'https://cdn.example/p.png' },
      body: { text: 'Shipped' },
      actions: [
        { type: 'link' as const, label: 'Track', value: 'https://track.example/1042' },
        { type: 'call' as const, label: 'Call us', value: '+14155550100' },
      ],
    };
    await fb().send({ id: 'h', content: { kind: ContentKind.RICH, cards: [card] } }, ctx(null));
    assert.deepEqual(page.sends().at(-1)!.message, {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'generic',
          elements: [
            {
              title: 'Order 1042',
              subtitle: 'Shipped',
              image_url: 'https://cdn.example/p.png',
              buttons: [
                { type: 'web_url', title: 'Track', url: 'https://track.example/1042' },
                { type: 'phone_number', title: 'Call us', payload: '+14155550100' },
              ],
            },
          ],
        },
      },
    });
    const onInstagram = await insta().send({ id: 'i', content: { kind: ContentKind.RICH, cards: [card] } }, ctx(null));
    assert.ok(!onInstagram.ok);
    assert.equal(onInstagram.failure.kind, 'unsupported');
  });

  test('Instagram reactions: ❤️ is sent as react/love, unreact names only the message, other emoji are unsupported', async () => {
    const signal = AbortSignal.timeout(5_000);
    assert.ok((await insta().sendReaction!({ to: 'IGSID-1', channelMessageId: 'm_1', emoji: '❤️' }, signal)).ok);
    assert.deepEqual(ig.sends().at(-1), {
      recipient: { id: 'IGSID-1' },
      sender_action: 'react',
      payload: { message_id: 'm_1', reaction: 'love' },
    });
    assert.ok((await insta().sendReaction!({ to: 'IGSID-1', channelMessageId: 'm_1', emoji: null }, signal)).ok);
    assert.deepEqual(ig.sends().at(-1), { recipient: { id: 'IGSID-1' }, sender_action: 'unreact', payload: { message_id: 'm_1' } });
    const thumbs = await insta().sendReaction!({ to: 'IGSID-1', channelMessageId: 'm_1', emoji: '👍' }, signal);
    assert.ok(!thumbs.ok);
    assert.equal(thumbs.failure.kind, 'unsupported');
  });

  test('testConnection: ok, a refused token, an unknown page, an unreachable host', async () => {
    const signal = AbortSignal.timeout(5_000);
    assert.equal((await fb().testConnection!(signal)).status, 'ok');
    assert.equal((await fb({ pageAccessToken: 'wrong' }).testConnection!(signal)).status, 'bad_credentials');
    assert.equal((await fb({ pageId: '99999999' }).testConnection!(signal)).status, 'not_found');
    assert.equal((await fb({ baseUrl: 'http://127.0.0.1:1/v21.0' }).testConnection!(signal)).status, 'unreachable');
    assert.equal((await insta().testConnection!(signal)).status, 'ok');
  });
});
