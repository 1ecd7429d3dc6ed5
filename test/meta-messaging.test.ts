import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from 'graphql-ws';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection } from '../src/modules/message/sender-type';
import { Topics } from '../src/pubsub/pubsub';
import {
  AdminCreateInboxDocument,
  DeliverySendTextDocument,
  MessageReactionsDocument,
  StreamMessageStatusChangedDocument,
  type CreateInboxInput,
} from './generated/graphql';
import { testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { FakeMetaMessaging, type FakeWebhook } from './helpers/fake-meta-messaging';
import { startTestServer, type TestServer } from './helpers/server';
import { SubscriptionCollector, TrackingPubSub, wsClient } from './helpers/subscriptions';

const PAGE_ID = '104512345678901';
const IG_ACCOUNT_ID = '17841400000000001';
const PAGE_TOKEN = 'EAAB-page-token-7f3a';
const IG_TOKEN = 'IGAA-user-token-91c2';
const APP_SECRET = 'meta-app-secret-c0ffee';
const VERIFY_TOKEN = 'verify-messenger-2718';
const PSID = '6612345678901234';
const IGSID = '987654321012345';

describe('Messenger and Instagram end to end: createInbox, handshake, signed webhooks, replies, watermarks, reactions', () => {
  const messenger = new FakeMetaMessaging({ object: 'page', accountId: PAGE_ID, accessToken: PAGE_TOKEN, appSecret: APP_SECRET });
  const instagram = new FakeMetaMessaging({ object: 'instagram', accountId: IG_ACCOUNT_ID, accessToken: IG_TOKEN, appSecret: APP_SECRET });
  const pubsub = new TrackingPubSub();
  const clients: Client[] = [];
  let s: TestServer;
  let messengerInbox: string;
  let instagramInbox: string;
  let conversationId: string;

  before(async () => {
    await messenger.start();
    await instagram.start();
    s = await startTestServer({ pubsub, config: { delivery: testDeliveryConfig() } });
    const admin = s.client(s.tokens.admin);
    const create = async (input: CreateInboxInput) => {
      const res = await admin.request(AdminCreateInboxDocument, { input });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!.createInbox.inbox.id;
    };
    messengerInbox = await create({
      name: 'Acme on Messenger',
      channel: 'MESSENGER',
      senderAddress: PAGE_ID,
      settings: {
        messenger: {
          pageId: PAGE_ID,
          pageAccessToken: PAGE_TOKEN,
          appSecret: APP_SECRET,
          verifyToken: VERIFY_TOKEN,
          baseUrl: messenger.url,
        },
      },
    });
    instagramInbox = await create({
      name: 'Acme on Instagram',
      channel: 'INSTAGRAM',
      senderAddress: IG_ACCOUNT_ID,
      settings: { instagram: { accountId: IG_ACCOUNT_ID, accessToken: IG_TOKEN, appSecret: APP_SECRET, baseUrl: instagram.url } },
    });
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await s?.close();
    await messenger.close();
    await instagram.close();
  });

  const post = async (inboxId: string, hook: FakeWebhook) => {
    const res = await fetch(`${s.httpUrl}/webhooks/${inboxId}`, { method: 'POST', headers: hook.headers, body: hook.body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const send = async (conversation: string, body: string) =>
    (await s.client().data(DeliverySendTextDocument, { conversationId: conversation, body })).sendMessage.message;
  const waitFor = (id: string, pred: (m: Message) => boolean) => waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, id, pred);

  test('the Messenger handshake echoes hub.challenge only with the verify token saved on the inbox', async () => {
    const url = (token: string) =>
      `${s.httpUrl}/webhooks/${messengerInbox}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`;
    const ok = await fetch(url(VERIFY_TOKEN));
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), '1158201444');
    const wrong = await fetch(url('not-the-token'));
    assert.equal(wrong.status, 403);
    assert.notEqual(await wrong.text(), '1158201444');
  });

  test('a signed Messenger text starts a conversation with the PSID; a badly signed one is refused and stores nothing', async () => {
    const forged = messenger.webhook(
      [{ sender: { id: PSID }, recipient: { id: PAGE_ID }, timestamp: Date.now(), message: { mid: 'm_forged', text: 'hi' } }],
      'wrong-secret',
    );
    assert.equal((await post(messengerInbox, forged)).status, 401);
    assert.equal(await s.db.em.fork().count(Message, { channelMessageId: 'm_forged' }), 0);

    const hook = messenger.inboundText(PSID, 'Hi! Is my order on its way?', 'm_IN1');
    assert.deepEqual(await post(messengerInbox, hook), { status: 200, body: { received: 1, duplicates: 0 } });
    assert.deepEqual(await post(messengerInbox, hook), { status: 200, body: { received: 1, duplicates: 1 } }, 'a redelivery is harmless');
    const message = await s.db.em.fork().findOneOrFail(Message, { inboxId: messengerInbox, channelMessageId: 'm_IN1' });
    assert.equal(message.direction, MessageDirection.INBOUND);
    conversationId = message.conversationId;
    const conversation = await s.db.em.fork().findOneOrFail(Conversation, conversationId);
    assert.equal(conversation.externalId, PSID);
    assert.equal(conversation.lastMessagePreview, 'Hi! Is my order on its way?');
  });

  test('a reply goes to /{page-id}/messages with the page token, recipient.id = PSID and messaging_type RESPONSE', async () => {
    const sent = await send(conversationId, 'Yes, it ships today.');
    const stored = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
    const request = messenger.requests.find((r) => (r.body.message as { text?: string } | undefined)?.text === 'Yes, it ships today.')!;
    assert.equal(request.path, `/v21.0/${PAGE_ID}/messages`);
    assert.equal(request.authorization, `Bearer ${PAGE_TOKEN}`);
    assert.deepEqual(request.body, { recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'Yes, it ships today.' } });
    assert.match(stored.channelMessageId ?? '', /^m_/);
  });

  test('a delivery watermark then a read watermark move every earlier reply to DELIVERED, then READ, on the subscription', async () => {
    const second = await send(conversationId, 'Tracking number follows.');
    await waitFor(second.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
    const replies = await s.db.em
      .fork()
      .find(Message, { conversationId, direction: MessageDirection.OUTBOUND }, { orderBy: { createdAt: 'asc' } });
    assert.equal(replies.length, 2);
    assert.ok(replies.every((m) => m.deliveryStatus === DeliveryStatus.SENT));

    const topic = Topics.tenant(s.demo.tenant.id);
    const opened = pubsub.subscriptionsOpened(topic);
    const client = wsClient(s.url, s.tokens.owner);
    clients.push(client);
    const statuses = new SubscriptionCollector(client, StreamMessageStatusChangedDocument, { conversationId });
    await pubsub.waitForOpened(topic, opened);

    const seen = async (status: 'DELIVERED' | 'READ') => {
      for (const m of replies) {
        await statuses.waitFor((r) => r.data?.messageStatusChanged.message.id === m.id && r.data.messageStatusChanged.to === status);
      }
    };
    assert.equal((await post(messengerInbox, messenger.delivery(PSID, Date.now()))).status, 200);
    await seen('DELIVERED');
    assert.equal((await post(messengerInbox, messenger.read(PSID, Date.now()))).status, 200);
    await seen('READ');
    statuses.stop();

    const after = await s.db.em.fork().find(Message, { conversationId, direction: MessageDirection.OUTBOUND });
    assert.deepEqual(
      after.map((m) => m.deliveryStatus),
      [DeliveryStatus.READ, DeliveryStatus.READ],
    );
    const transitions = statuses.results.map((r) => [r.data!.messageStatusChanged.message.id, r.data!.messageStatusChanged.to]);
    assert.deepEqual(transitions.filter(([, to]) => to === 'DELIVERED').length, 2, JSON.stringify(transitions));
    assert.deepEqual(transitions.filter(([, to]) => to === 'READ').length, 2, JSON.stringify(transitions));
  });

  test('an Instagram reaction webhook shows on the message it names; an echo of our own send is ignored', async () => {
    assert.equal((await post(instagramInbox, instagram.inboundText(IGSID, 'Love the new colours', 'm_IGIN1'))).status, 200);
    const inbound = await s.db.em.fork().findOneOrFail(Message, { inboxId: instagramInbox, channelMessageId: 'm_IGIN1' });
    const sent = await send(inbound.conversationId, 'Thank you!');
    const reply = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
    const igRequest = instagram.sends().at(-1)!;
    assert.deepEqual(igRequest, { recipient: { id: IGSID }, messaging_type: 'RESPONSE', message: { text: 'Thank you!' } });

    const echo = await post(instagramInbox, instagram.echo(IGSID, reply.channelMessageId!, 'Thank you!'));
    assert.deepEqual(echo, { status: 200, body: { received: 0, duplicates: 0 } });

    assert.equal((await post(instagramInbox, instagram.reaction(IGSID, reply.channelMessageId!, '❤️'))).status, 200);
    const { message } = await s.client().data(MessageReactionsDocument, { id: reply.id });
    assert.deepEqual(
      message!.reactions!.map((r) => [r.emoji, r.actorType]),
      [['❤️', 'CUSTOMER']],
    );
    assert.equal(message!.reactions![0].actor?.__typename, 'Contact');
  });
});
