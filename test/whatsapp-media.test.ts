import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderMedia } from '../src/modules/media/provider-media.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import {
  AdminCreateInboxDocument,
  DeliverySendTextDocument,
  WaInboxTemplatesDocument,
  WaMessageDocument,
  WaSendMediaDocument,
  type CreateInboxInput,
} from './generated/graphql';
import { errorCode } from './helpers/client';
import { testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { FakeGraph, TINY_PNG } from './helpers/fake-graph';
import { startTestServer, type TestServer } from './helpers/server';
import { uploadFile } from './helpers/upload';

const CUSTOMER = '4915112340000';
const META = {
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG-media-token',
  appSecret: 'media-app-secret',
  businessAccountId: '102290129340398',
};

function whatsappInbox(baseUrl: string, businessAccountId = META.businessAccountId): CreateInboxInput {
  return {
    name: 'WhatsApp media',
    channel: 'WHATSAPP',
    senderAddress: '+14155550111',
    settings: {
      whatsappCloud: {
        phoneNumberId: META.phoneNumberId,
        accessToken: META.accessToken,
        appSecret: META.appSecret,
        baseUrl,
        businessAccountId,
      },
    },
  };
}

describe('WhatsApp Cloud media and templates, end to end through createInbox and a fake Graph API', () => {
  const graph = new FakeGraph(META);
  let s: TestServer;
  let inboxId: string;
  let conversationId: string;

  before(async () => {
    await graph.start();
    graph.templates = [
      {
        id: '5001',
        name: 'order_ready',
        language: 'en_US',
        status: 'APPROVED',
        category: 'UTILITY',
        components: [
          { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://scontent.example/x'] } },
          { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is ready.', example: { body_text: [['Anna', '#42']] } },
          { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://acme.test/t/{{1}}' }] },
        ],
      },
      {
        id: '5002',
        name: 'welcome',
        language: 'de',
        status: 'APPROVED',
        category: 'MARKETING',
        parameter_format: 'NAMED',
        components: [{ type: 'BODY', text: 'Hallo {{first_name}}!' }],
      },
      {
        id: '5003',
        name: 'login_code',
        language: 'en',
        status: 'APPROVED',
        category: 'AUTHENTICATION',
        components: [{ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] }],
      },
    ];
    s = await startTestServer({ config: { delivery: testDeliveryConfig() } });
    const created = await s.client(s.tokens.admin).data(AdminCreateInboxDocument, { input: whatsappInbox(graph.url) });
    inboxId = created.createInbox.inbox.id;
  });
  after(async () => {
    if (s) await s.close();
    await graph.close();
  });

  const post = async (hook: { body: Buffer; headers: Record<string, unknown> }) => {
    const res = await fetch(`${s.httpUrl}/webhooks/${inboxId}`, {
      method: 'POST',
      headers: hook.headers as Record<string, string>,
      body: hook.body,
    });
    await res.arrayBuffer();
    return res.status;
  };
  const waitFor = (id: string, pred: (m: Message) => boolean) => waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, id, pred);

  test('the customer writes first (opening the window)', async () => {
    assert.equal(
      await post(graph.customerMessage(CUSTOMER, { id: 'wamid.HELLO', type: 'text', text: { body: 'Can you send the label?' } })),
      200,
    );
    conversationId = (await s.db.em.fork().findOneOrFail(Message, { inboxId, channelMessageId: 'wamid.HELLO' })).conversationId;
  });

  test('an uploaded image is pushed to Meta once and sent by its Meta media id; sending it again uploads nothing', async () => {
    const upload = await uploadFile(s, s.tokens.admin, { bytes: TINY_PNG, type: 'image/png', name: 'label.png' });
    const send = async (caption: string) => {
      const { sendMessage } = await s.client(s.tokens.admin).data(WaSendMediaDocument, { conversationId, mediaId: upload.id, caption });
      return waitFor(sendMessage.message.id, (m) => m.deliveryStatus === DeliveryStatus.SENT || m.deliveryStatus === DeliveryStatus.FAILED);
    };

    const first = await send('Your label');
    assert.equal(first.deliveryStatus, DeliveryStatus.SENT, `${first.failureCode}: ${first.failureReason}`);
    assert.equal(graph.uploads.length, 1);
    const [pushed] = graph.uploads;
    assert.deepEqual([pushed.messagingProduct, pushed.type, pushed.filename], ['whatsapp', 'image/png', 'label.png']);
    assert.deepEqual(pushed.bytes, TINY_PNG, 'Meta got the uploaded bytes');
    const message = graph.messages.at(-1)!;
    assert.equal(message.authorization, `Bearer ${META.accessToken}`);
    assert.deepEqual(
      { type: message.body.type, image: message.body.image, to: message.body.to },
      { type: 'image', image: { id: pushed.id, caption: 'Your label' }, to: CUSTOMER },
    );
    assert.equal(first.channelMessageId, `wamid.HBgM${graph.messages.length}`);

    const second = await send('Again');
    assert.equal(second.deliveryStatus, DeliveryStatus.SENT);
    assert.equal(graph.uploads.length, 1, 'the cached Meta media id was reused');
    assert.deepEqual(graph.messages.at(-1)!.body.image, { id: pushed.id, caption: 'Again' });
    const cached = await s.db.em.fork().findOneOrFail(ProviderMedia, { inboxId, mediaId: upload.id });
    const days = (cached.expiresAt.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 28.9 && days <= 29, `kept ${days} days, inside Meta's 30`);
  });

  test('a refused upload fails the message through the same error table, and no message is sent', async () => {
    const other = await uploadFile(s, s.tokens.admin, {
      bytes: Buffer.concat([TINY_PNG, Buffer.from('x')]),
      type: 'image/png',
      name: 'other.png',
    });
    graph.failNext({ status: 400, code: 131053, message: 'Media upload error' });
    const sends = graph.messages.length;
    const { sendMessage } = await s.client(s.tokens.admin).data(WaSendMediaDocument, { conversationId, mediaId: other.id });
    const failed = await waitFor(sendMessage.message.id, (m) => m.deliveryStatus === DeliveryStatus.FAILED);
    assert.equal(failed.failureCode, 'whatsapp_131053');
    assert.match(failed.failureReason ?? '', /Media upload refused: Media upload error/);
    assert.equal(graph.messages.length, sends, 'nothing was sent without the file');
    assert.equal(await s.db.em.fork().count(ProviderMedia, { inboxId, mediaId: other.id }), 0, 'no Meta id remembered');
  });

  test("a customer's image arrives with its file, downloadable through the message's signed URL", async () => {
    graph.serve('1037543291543636', TINY_PNG, 'image/png');
    const hook = graph.customerMessage(CUSTOMER, {
      id: 'wamid.IMG1',
      type: 'image',
      image: { id: '1037543291543636', mime_type: 'image/png', sha256: 'x', caption: 'the damage' },
    });
    assert.equal(await post(hook), 200);
    const stored = await s.db.em.fork().findOneOrFail(Message, { inboxId, channelMessageId: 'wamid.IMG1' });
    const { message } = await s.client(s.tokens.admin).data(WaMessageDocument, { id: stored.id });
    const content = message?.content;
    assert.ok(content?.__typename === 'MediaContent', JSON.stringify(message));
    assert.equal(content.mediaKind, 'IMAGE');
    assert.equal(content.caption, 'the damage');
    assert.equal(content.mimeType, 'image/png');
    assert.ok(content.mediaId && content.url, JSON.stringify(content));
    const download = await fetch(new URL(content.url, s.httpUrl));
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), TINY_PNG, 'the same bytes the customer sent');
    assert.ok(graph.log.includes('GET /download/1037543291543636'), 'fetched from the URL Meta named');
  });

  const templatesOf = async (id: string) => {
    const res = await s.client(s.tokens.admin).request(WaInboxTemplatesDocument, { id });
    const node = res.data?.node;
    return { res, templates: node && 'templates' in node ? node.templates : undefined };
  };
  const templateListings = () => graph.log.filter((l) => l.startsWith(`GET /v21.0/${META.businessAccountId}/message_templates`)).length;

  test('Inbox.templates lists every page of approved templates with their parameters; a sandbox inbox lists none', async () => {
    const { res, templates } = await templatesOf(inboxId);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(
      templates!.map((t) => [t.name, t.language, t.category, t.status]),
      [
        ['order_ready', 'en_US', 'UTILITY', 'APPROVED'],
        ['welcome', 'de', 'MARKETING', 'APPROVED'],
        ['login_code', 'en', 'AUTHENTICATION', 'APPROVED'],
      ],
      'three templates over two pages of two',
    );
    assert.equal(templateListings(), 2, 'both pages were asked for');
    assert.deepEqual(
      templates![0].components.map((c) => [c.type, c.format, c.parameterCount, c.buttons.map((b) => [b.type, b.takesParameter])]),
      [
        ['HEADER', 'IMAGE', 0, []],
        ['BODY', null, 2, []],
        ['BUTTONS', null, 0, [['URL', true]]],
      ],
    );
    assert.deepEqual(templates![1].components[0].namedParameters, ['first_name']);
    assert.deepEqual(templates![2].components[0].buttons[0], { type: 'OTP', text: 'Copy code', takesParameter: true });

    await templatesOf(inboxId);
    assert.equal(templateListings(), 2, 'asked again within a minute: served from the cache');
    assert.deepEqual((await templatesOf(s.demo.sms.id)).templates, [], 'a sandbox inbox has no templates');

    const agent = await s.client(s.tokens.agent).request(WaInboxTemplatesDocument, { id: inboxId });
    assert.equal(agent.data?.node, null, 'an agent who is not a member does not see the inbox, nor its templates');
  });

  test('templates of an account Meta does not know are null with PROVIDER_UNAVAILABLE', async () => {
    const other = await s.client(s.tokens.admin).data(AdminCreateInboxDocument, {
      input: { ...whatsappInbox(graph.url, '999999999'), name: 'Wrong WABA', senderAddress: '+14155550112' },
    });
    const { res, templates } = await templatesOf(other.createInbox.inbox.id);
    assert.equal(errorCode(res), 'PROVIDER_UNAVAILABLE');
    assert.equal(res.errors![0].extensions!.status, 'not_found');
    assert.match(res.errors![0].message, /999999999/);
    assert.equal(templates, null);
  });

  test('Meta error 131047 fails the message as window closed, without retrying', async () => {
    graph.failNext({ status: 400, code: 131047, message: 'Re-engagement message' });
    const before = graph.messages.length;
    const { sendMessage } = await s.client(s.tokens.admin).data(DeliverySendTextDocument, { conversationId, body: 'Anything else?' });
    const failed = await waitFor(sendMessage.message.id, (m) => m.deliveryStatus === DeliveryStatus.FAILED);
    assert.equal(failed.failureCode, 'whatsapp_131047');
    assert.match(failed.failureReason ?? '', /Re-engagement/);
    assert.equal(graph.messages.length - before, 1, 'one request: a closed window is not retried');
  });
});
