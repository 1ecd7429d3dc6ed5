import { after, before, describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import {
  TwilioConversationContactDocument,
  TwilioCreateInboxDocument,
  TwilioSendDocument,
  TwilioStatusChangedDocument,
  TwilioTestConnectionDocument,
  TwilioUpdateInboxDocument,
  type SendMessageInput,
} from './generated/graphql';
import { ContentKind } from '../src/modules/message/content-kind';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Media } from '../src/modules/media/media.entity';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection } from '../src/modules/message/sender-type';
import { OutboxEntry } from '../src/modules/delivery/outbox-entry.entity';
import { errorCode } from './helpers/client';
import { testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { FakeTwilio, TWILIO_PNG } from './helpers/fake-twilio';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { SubscriptionCollector, TrackingPubSub, wsClient } from './helpers/subscriptions';
import { Topics } from '../src/pubsub/pubsub';
import { uploadFile } from './helpers/upload';

const ACCOUNT_SID = `AC${'5e'.repeat(16)}`;
const AUTH_TOKEN = 'twilio-e2e-auth-token-0123';
const SENDER = '+14155550123';
const CUSTOMER = '+14155550987';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Twilio SMS/MMS end to end on ${dialect}: createInbox against a fake Twilio, both directions, statuses, STOP/START`, () => {
    const twilio = new FakeTwilio(ACCOUNT_SID, AUTH_TOKEN);
    const pubsub = new TrackingPubSub();
    let s: TestServer;
    let inboxId: string;
    let webhookUrl: string;
    let conversationId: string;
    /** Why the suite cannot run here (PostgreSQL not reachable), or null. */
    let skipped: string | null = null;
    const test = (name: string, fn: () => Promise<void>) =>
      nodeTest(name, async (t) => {
        if (skipped) return t.skip(skipped);
        await fn();
      });

    before(async () => {
      skipped = dialect === 'postgres' ? await postgresUnavailable() : null;
      if (skipped) return;
      await twilio.start();
      // A send Twilio may have taken (5xx, timeout) waits this long for its status callback before a resend.
      s = await startTestServer({ dialect, pubsub, config: { delivery: testDeliveryConfig({ uncertainSettleMs: 60_000 }) } });
    });
    after(async () => {
      if (s) await s.close();
      if (!skipped) await twilio.close();
    });

    const admin = () => s.client(s.tokens.admin);
    const db = () => s.db.em.fork();
    const inbound = (body: string, media: { url: string; contentType: string }[] = []) => {
      const params = twilio.inboundParams(CUSTOMER, SENDER, body, media);
      return { params, post: () => twilio.post(webhookUrl, params) };
    };
    const sendInput = (content: SendMessageInput['content']): SendMessageInput => ({
      recipient: { conversation: { conversationId } },
      content,
    });
    const waitFor = (id: string, pred: (m: Message) => boolean) => waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, id, pred);

    test('an admin creates a Twilio SMS inbox; a wrong auth token tests as BAD_CREDENTIALS, the right one as OK', async () => {
      const created = await admin().data(TwilioCreateInboxDocument, {
        input: {
          name: 'Support SMS',
          channel: 'SMS',
          senderAddress: SENDER,
          settings: { twilio: { accountSid: ACCOUNT_SID, authToken: 'not-the-token', baseUrl: twilio.url } },
        },
      });
      inboxId = created.createInbox.inbox.id;
      webhookUrl = created.createInbox.inbox.webhookUrl!;
      assert.equal(created.createInbox.inbox.provider, 'twilio');
      assert.deepEqual(created.createInbox.inbox.secrets, [{ name: 'authToken', configured: true }]);

      const wrong = await admin().data(TwilioTestConnectionDocument, { inboxId });
      assert.equal(wrong.testInboxConnection.status, 'BAD_CREDENTIALS', wrong.testInboxConnection.message);

      await admin().data(TwilioUpdateInboxDocument, {
        input: { inboxId, settings: { twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, baseUrl: twilio.url } } },
      });
      const right = await admin().data(TwilioTestConnectionDocument, { inboxId });
      assert.equal(right.testInboxConnection.status, 'OK', right.testInboxConnection.message);
    });

    test('a bad account SID is refused with BAD_USER_INPUT naming the field, and no inbox is made', async () => {
      const res = await admin().request(TwilioCreateInboxDocument, {
        input: {
          name: 'Bad',
          channel: 'SMS',
          senderAddress: SENDER,
          settings: { twilio: { accountSid: 'AC123', authToken: 'x' } },
        },
      });
      assert.equal(errorCode(res), 'BAD_USER_INPUT');
      assert.deepEqual(
        (res.errors![0].extensions!.fields as { field: string }[]).map((f) => f.field),
        ['input.settings.twilio.accountSid'],
      );
    });

    test('a customer SMS becomes a conversation; a badly signed one is 401 and stores nothing', async () => {
      const forged = inbound('I am not Twilio');
      assert.equal(await twilio.post(webhookUrl, forged.params, 'bm90IGEgc2lnbmF0dXJl'), 401);
      assert.equal(await db().count(Message, { inboxId }), 0);

      const hello = inbound('Hi, is my order shipped?');
      assert.equal(await hello.post(), 200);
      assert.equal(await hello.post(), 200, 'Twilio retries; harmless');
      const stored = await db().find(Message, { inboxId });
      assert.equal(stored.length, 1);
      assert.equal(stored[0].direction, MessageDirection.INBOUND);
      assert.deepEqual(stored[0].content, { kind: ContentKind.TEXT, body: 'Hi, is my order shipped?' });
      conversationId = stored[0].conversationId;
      const { conversation } = await s.client().data(TwilioConversationContactDocument, { id: conversationId });
      assert.equal(conversation!.externalId, CUSTOMER);
      assert.deepEqual(conversation!.contact.optedOutChannels, []);
    });

    test('a customer MMS photo is fetched from Twilio with Basic auth (through its redirect) and stored', async () => {
      const mms = inbound('here it is', [{ url: twilio.mediaUrl('MM00000000000000000000000000000abc'), contentType: 'image/png' }]);
      assert.equal(await mms.post(), 200);
      const message = await db().findOneOrFail(Message, { inboxId, channelMessageId: mms.params.MessageSid });
      assert.equal(message.content.kind, ContentKind.MEDIA);
      if (message.content.kind !== ContentKind.MEDIA) return;
      assert.equal(message.content.caption, 'here it is');
      assert.equal(message.content.unavailable ?? null, null);
      const media = await db().findOneOrFail(Media, { id: message.content.mediaId! });
      assert.equal(Number(media.size), TWILIO_PNG.length);
      assert.equal(media.mimeType, 'image/png');
      assert.deepEqual(
        twilio.mediaRequests.map((r) => r.authorized),
        [true],
      );
      assert.deepEqual(
        twilio.cdnRequests.map((r) => r.authorization),
        [undefined],
        'the auth token does not follow the redirect to the CDN',
      );
    });

    test('a reply goes out form-encoded with Basic auth and a per-message status callback, then reaches DELIVERED on a subscription', async () => {
      const topic = Topics.tenant(s.demo.tenant.id);
      const opened = pubsub.subscriptionsOpened(topic);
      const ws = wsClient(s.url, s.demoToken);
      const statuses = new SubscriptionCollector(ws, TwilioStatusChangedDocument, { conversationId });
      try {
        await pubsub.waitForOpened(topic, opened);
        const sent = (await s.client().data(TwilioSend, { input: sendInput({ text: { body: 'Yes, it ships today.' } }) })).sendMessage
          .message;
        const stored = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
        const request = twilio.sends.find((r) => r.form.Body === 'Yes, it ships today.')!;
        assert.equal(request.authorization, `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
        assert.equal(request.contentType, 'application/x-www-form-urlencoded');
        assert.equal(request.form.To, CUSTOMER);
        assert.equal(request.form.From, SENDER);
        const callback = new URL(request.form.StatusCallback);
        assert.equal(`${callback.origin}${callback.pathname}`, webhookUrl);
        assert.equal(stored.channelMessageId, request.sid);

        assert.equal(await twilio.post(request.form.StatusCallback, twilio.statusParams(request.sid!, 'sent')), 200);
        assert.equal(await twilio.post(request.form.StatusCallback, twilio.statusParams(request.sid!, 'delivered')), 200);
        const delivered = await statuses.waitFor(
          (r) => r.data?.messageStatusChanged.message.id === sent.id && r.data.messageStatusChanged.to === 'DELIVERED',
        );
        assert.equal(delivered.data!.messageStatusChanged.message.deliveryStatus, 'DELIVERED');
      } finally {
        statuses.stop();
        await ws.dispose();
      }
    });

    test('an undelivered status callback fails the message with the carrier reason', async () => {
      const sent = (await s.client().data(TwilioSend, { input: sendInput({ text: { body: 'Did this arrive?' } }) })).sendMessage.message;
      await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
      const request = twilio.sends.find((r) => r.form.Body === 'Did this arrive?')!;
      const params = twilio.statusParams(request.sid!, 'undelivered', { ErrorCode: '30003' });
      assert.equal(await twilio.post(request.form.StatusCallback, params), 200);
      const failed = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.FAILED);
      assert.equal(failed.failureCode, 'unreachable');
      assert.match(failed.failureReason!, /30003/);
    });

    test('an image goes out as MMS by our signed media URL, which serves the bytes', async () => {
      const upload = await uploadFile(s, s.demoToken, { bytes: TWILIO_PNG, type: 'image/png', name: 'map.png' });
      const sent = (await s.client().data(TwilioSend, { input: sendInput({ media: { mediaId: upload.id, caption: 'Our store' } }) }))
        .sendMessage.message;
      await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
      const request = twilio.sends.find((r) => r.form.MediaUrl && r.form.Body === 'Our store')!;
      assert.ok(request.form.MediaUrl.startsWith(s.httpUrl), request.form.MediaUrl);
      const res = await fetch(request.form.MediaUrl);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), TWILIO_PNG);
    });

    test('STOP from the customer makes the next send fail with OPTED_OUT (nothing written); START allows it again', async () => {
      const before = await db().count(Message, { conversationId });
      const sendsBefore = twilio.sends.length;
      assert.equal(await inbound('Stop').post(), 200);
      const { conversation } = await s.client().data(TwilioConversationContactDocument, { id: conversationId });
      assert.deepEqual(conversation!.contact.optedOutChannels, ['SMS']);

      const refused = await s.client().request(TwilioSendDocument, { input: sendInput({ text: { body: 'One more offer!' } }) });
      assert.equal(errorCode(refused), 'OPTED_OUT');
      assert.equal(await db().count(Message, { conversationId }), before + 1, 'only the STOP message was added');
      assert.equal(twilio.sends.length, sendsBefore, 'Twilio was not called');

      assert.equal(await inbound('help').post(), 200);
      assert.equal(
        errorCode(await s.client().request(TwilioSendDocument, { input: sendInput({ text: { body: 'still no' } }) })),
        'OPTED_OUT',
      );

      assert.equal(await inbound('START').post(), 200);
      const again = (await s.client().data(TwilioSend, { input: sendInput({ text: { body: 'Welcome back!' } }) })).sendMessage.message;
      await waitFor(again.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
      const after = await s.client().data(TwilioConversationContactDocument, { id: conversationId });
      assert.deepEqual(after.conversation!.contact.optedOutChannels, []);
    });

    test('a 5xx answer is uncertain: not sent again, and the status callback naming our message id settles it', async () => {
      const before = twilio.sends.length;
      twilio.nextSend('temporary');
      const sent = (await s.client().data(TwilioSend, { input: sendInput({ text: { body: 'Did Twilio take this?' } }) })).sendMessage
        .message;
      await twilio.sendsAfter(before);
      const request = twilio.sends[before];
      assert.equal(request.status, 503);
      // Twilio had queued it after all: its callback goes to the StatusCallback URL of that request.
      const sid = twilio.sid('SM');
      assert.equal(await twilio.post(request.form.StatusCallback, twilio.statusParams(sid, 'delivered')), 200);
      const delivered = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.DELIVERED);
      assert.equal(delivered.channelMessageId, sid);
      assert.equal(twilio.sends.filter((r) => r.form.Body === 'Did Twilio take this?').length, 1, 'sent once');
    });

    test('a message queued before the customer texts STOP is failed as opted_out without calling Twilio', async () => {
      await s.server.deps.delivery.stop();
      const before = twilio.sends.length;
      const queued = (await s.client().data(TwilioSend, { input: sendInput({ text: { body: 'Queued before STOP' } }) })).sendMessage
        .message;
      assert.equal(queued.deliveryStatus, 'PENDING');
      assert.equal(await inbound('QUIT').post(), 200);
      s.server.deps.delivery.start();
      const failed = await waitFor(queued.id, (m) => m.deliveryStatus !== DeliveryStatus.PENDING);
      assert.equal(failed.deliveryStatus, DeliveryStatus.FAILED);
      assert.equal(failed.failureCode, 'opted_out');
      assert.equal(twilio.sends.length, before, 'Twilio was not called');
      assert.equal(await inbound('START').post(), 200);
    });

    test("Twilio's 21610 answer fails the message as opted_out and records the opt-out", async () => {
      twilio.nextSend('opted_out');
      const sent = (await s.client().data(TwilioSend, { input: sendInput({ text: { body: 'Blocked by Twilio' } }) })).sendMessage.message;
      const failed = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.FAILED);
      assert.equal(failed.failureCode, 'opted_out');
      const { conversation } = await s.client().data(TwilioConversationContactDocument, { id: conversationId });
      assert.deepEqual(conversation!.contact.optedOutChannels, ['SMS']);
      const entry = await db().findOneOrFail(OutboxEntry, { messageId: sent.id });
      // A wait for the number's 1/s slot counts in `attempts` (the fencing token) but is no send.
      assert.equal(entry.attempts - entry.deferrals, 1, 'not retried');
      assert.equal(await inbound('unstop').post(), 200);
    });
  });
}

const TwilioSend = TwilioSendDocument;
