import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { whatsAppSignature } from '../src/channels/whatsapp-cloud/whatsapp-cloud.adapter';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { OutboxEntry } from '../src/modules/delivery/outbox-entry.entity';
import { WebhookReceipt } from '../src/modules/delivery/webhook-receipt.entity';
import { InboxMember } from '../src/modules/inbox/inbox-member.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection, SenderType } from '../src/modules/message/sender-type';
import { Reaction } from '../src/modules/reaction/reaction.entity';
import { DeliverySendTextDocument, InboundConversationStateDocument } from './generated/graphql';
import { historyOf, testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { startTestServer, type TestServer } from './helpers/server';
import { createWhatsAppCloudInbox } from './helpers/whatsapp-inbox';

const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'EAAG-test-token';
const APP_SECRET = 'meta-app-secret';
const VERIFY_TOKEN = 'verify-me';
const CUSTOMER = '4915112340000';

interface GraphRequest {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/**
 * A local stand-in for graph.facebook.com speaking the Cloud API wire format. Markers in the text
 * script its answer: `#window` (131047), `#badtoken` (190, HTTP 401), `#flaky` (HTTP 503 once),
 * `#ratelimited` (HTTP 429 with Retry-After once); anything else gets a fresh wamid.
 */
class FakeGraphApi {
  readonly requests: GraphRequest[] = [];
  readonly accepted: { wamid: string; text: string }[] = [];
  private readonly seen = new Map<string, number>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v21.0`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  requestsFor(text: string): GraphRequest[] {
    return this.requests.filter((r) => (r.body.text as { body?: string } | undefined)?.body === text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    this.requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const error = (code: number, message: string) => ({ error: { message, type: 'OAuthException', code, fbtrace_id: 'AbC' } });

    if (req.method !== 'POST' || req.url !== `/v21.0/${PHONE_NUMBER_ID}/messages`) return reply(404, error(100, 'Unknown path'));
    if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return reply(401, error(190, 'Invalid OAuth access token.'));
    const text = (body.text as { body?: string } | undefined)?.body ?? '';
    const tries = (this.seen.get(text) ?? 0) + 1;
    this.seen.set(text, tries);
    if (text.includes('#window')) {
      return reply(400, {
        error: {
          ...error(131047, 'Re-engagement message').error,
          error_data: { details: 'More than 24 hours have passed since the recipient last replied.' },
        },
      });
    }
    if (text.includes('#badtoken')) return reply(401, error(190, 'Error validating access token: Session has expired.'));
    if (text.includes('#flaky') && tries === 1) return reply(503, { error: { message: 'Service temporarily unavailable', code: 2 } });
    if (text.includes('#ratelimited') && tries === 1) return reply(429, error(130429, 'Rate limit hit'), { 'retry-after': '0' });
    const wamid = `wamid.HBgM${this.accepted.length + 1}`;
    this.accepted.push({ wamid, text });
    reply(200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: wamid }] });
  }
}

/** A `whatsapp_business_account` webhook body around one change value. */
function metaWebhook(value: Record<string, unknown>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '14155550111', phone_number_id: PHONE_NUMBER_ID },
              ...value,
            },
          },
        ],
      },
    ],
  });
}

const unix = (at = new Date()) => String(Math.floor(at.getTime() / 1000));

describe('WhatsApp Cloud API adapter against a local fake Graph API', () => {
  const graph = new FakeGraphApi();
  let s: TestServer;
  let inboxId: string;
  let conversationId: string;

  before(async () => {
    await graph.start();
    s = await startTestServer({
      config: { delivery: testDeliveryConfig() },
      beforeStart: async (db, demo) => {
        const em = db.em.fork();
        const inbox = createWhatsAppCloudInbox(em, demo.tenant.id, {
          phoneNumberId: PHONE_NUMBER_ID,
          accessToken: ACCESS_TOKEN,
          appSecret: APP_SECRET,
          verifyToken: VERIFY_TOKEN,
          baseUrl: graph.url,
        });
        em.create(InboxMember, { tenantId: demo.tenant.id, inboxId: inbox.id, userId: demo.agent.id, createdAt: new Date() });
        await em.flush();
        inboxId = inbox.id;
      },
    });
  });
  after(async () => {
    if (s) await s.close();
    await graph.close();
  });

  const post = async (body: string, signature = whatsAppSignature(APP_SECRET, body)) => {
    const res = await fetch(`${s.httpUrl}/webhooks/${inboxId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const statusWebhook = (wamid: string, status: string, extra: Record<string, unknown> = {}) =>
    metaWebhook({ statuses: [{ id: wamid, status, timestamp: unix(), recipient_id: CUSTOMER, ...extra }] });
  const send = async (body: string) => (await s.client().data(DeliverySendTextDocument, { conversationId, body })).sendMessage.message;
  const waitFor = (id: string, pred: (m: Message) => boolean) => waitForMessage(s.db, s.server.deps.pubsub, s.demo.tenant.id, id, pred);

  test('the subscription handshake echoes hub.challenge only for the right verify token', async () => {
    const ok = await fetch(`${s.httpUrl}/webhooks/${inboxId}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), '1158201444');
    const wrong = await fetch(`${s.httpUrl}/webhooks/${inboxId}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    assert.equal(wrong.status, 403);
  });

  test('a customer message webhook starts a conversation with the contact named from the profile', async () => {
    const body = metaWebhook({
      contacts: [{ profile: { name: 'Greta Weber' }, wa_id: CUSTOMER }],
      messages: [{ from: CUSTOMER, id: 'wamid.IN1', timestamp: unix(), type: 'text', text: { body: 'Hallo! Do you deliver to Berlin?' } }],
    });
    assert.deepEqual(await post(body), { status: 200, body: { received: 1, duplicates: 0 } });
    assert.deepEqual(await post(body), { status: 200, body: { received: 1, duplicates: 1 } }, 'Meta redelivers; harmless');

    const message = await s.db.em.fork().findOneOrFail(Message, { inboxId, channelMessageId: 'wamid.IN1' });
    assert.equal(message.direction, MessageDirection.INBOUND);
    conversationId = message.conversationId;
    const { conversation } = await s.client().data(InboundConversationStateDocument, { id: conversationId });
    assert.equal(conversation!.externalId, `+${CUSTOMER}`);
    assert.equal(conversation!.contact.name, 'Greta Weber');
    assert.equal(conversation!.window.canSend, true);
    assert.equal(conversation!.lastMessagePreview, 'Hallo! Do you deliver to Berlin?');
  });

  test('a reply is POSTed to /{phone-number-id}/messages with the bearer token, then follows Meta status webhooks to READ', async () => {
    const sent = await send('Ja, we deliver to Berlin.');
    const stored = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
    const [request] = graph.requestsFor('Ja, we deliver to Berlin.');
    assert.equal(request.authorization, `Bearer ${ACCESS_TOKEN}`);
    assert.deepEqual(request.body, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: CUSTOMER,
      biz_opaque_callback_data: sent.id,
      type: 'text',
      text: { body: 'Ja, we deliver to Berlin.', preview_url: false },
    });
    const wamid = graph.accepted.find((a) => a.text === 'Ja, we deliver to Berlin.')!.wamid;
    assert.equal(stored.channelMessageId, wamid);

    assert.equal((await post(statusWebhook(wamid, 'delivered'))).status, 200);
    assert.equal((await post(statusWebhook(wamid, 'read'))).status, 200);
    assert.equal((await post(statusWebhook(wamid, 'sent'))).status, 200, 'a late "sent" is accepted and ignored');
    const read = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.READ);
    assert.deepEqual(historyOf(read), [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]);
  });

  test('a failed status webhook fails the message with the WhatsApp error', async () => {
    const sent = await send('This number will not get it');
    const wamid = (await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.SENT)).channelMessageId!;
    const failed = statusWebhook(wamid, 'failed', {
      errors: [{ code: 131026, title: 'Message undeliverable', error_data: { details: 'Recipient is not on WhatsApp.' } }],
    });
    assert.equal((await post(failed)).status, 200);
    const message = await waitFor(sent.id, (m) => m.deliveryStatus === DeliveryStatus.FAILED);
    assert.equal(message.failureCode, 'whatsapp_131026');
    assert.equal(message.failureReason, 'Message undeliverable: Recipient is not on WhatsApp.');
  });

  test('WhatsApp refusals map to the right failure kind: window and auth fail at once, 5xx and 429 are retried', async () => {
    const window = await send('Too late #window');
    const windowFailed = await waitFor(window.id, (m) => m.deliveryStatus === DeliveryStatus.FAILED);
    assert.equal(windowFailed.failureCode, 'whatsapp_131047');
    assert.match(windowFailed.failureReason ?? '', /Re-engagement message: More than 24 hours/);
    assert.equal(graph.requestsFor('Too late #window').length, 1);

    const auth = await send('Expired token #badtoken');
    const authFailed = await waitFor(auth.id, (m) => m.deliveryStatus === DeliveryStatus.FAILED);
    assert.equal(authFailed.failureCode, 'whatsapp_190');
    assert.equal(graph.requestsFor('Expired token #badtoken').length, 1);

    const flaky = await send('Blip #flaky');
    const flakySent = await waitFor(flaky.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
    assert.equal(graph.requestsFor('Blip #flaky').length, 2);
    assert.equal(graph.accepted.filter((a) => a.text === 'Blip #flaky').length, 1);
    assert.equal(flakySent.failureCode, null);
    const outbox = await s.db.em.fork().findOneOrFail(OutboxEntry, { messageId: flaky.id });
    assert.deepEqual([outbox.attempts, outbox.lastError], [2, null]);

    const limited = await send('Slow down #ratelimited');
    await waitFor(limited.id, (m) => m.deliveryStatus === DeliveryStatus.SENT);
    assert.equal(graph.requestsFor('Slow down #ratelimited').length, 2);
  });

  test('customer reactions arrive as reaction messages', async () => {
    const conversation = await s.db.em.fork().findOneOrFail(Conversation, conversationId);
    const ours = await s.db.em
      .fork()
      .findOneOrFail(Message, { conversationId, direction: MessageDirection.OUTBOUND, deliveryStatus: DeliveryStatus.READ });
    const react = (id: string, emoji: string) =>
      post(
        metaWebhook({
          messages: [{ from: CUSTOMER, id, timestamp: unix(), type: 'reaction', reaction: { message_id: ours.channelMessageId, emoji } }],
        }),
      );
    assert.equal((await react('wamid.R1', '👍')).status, 200);
    const reactions = await s.db.em.fork().find(Reaction, { messageId: ours.id });
    assert.deepEqual(
      reactions.map((r) => [r.actorType, r.actorId, r.emoji]),
      [[SenderType.CUSTOMER, conversation.contactId, '👍']],
    );
    assert.equal((await react('wamid.R2', '')).status, 200, 'an empty emoji removes the reaction');
    assert.equal(await s.db.em.fork().count(Reaction, { messageId: ours.id }), 0);
  });

  test('a webhook whose X-Hub-Signature-256 does not match is 401 and stores nothing', async () => {
    const body = metaWebhook({
      messages: [{ from: CUSTOMER, id: 'wamid.FORGED', timestamp: unix(), type: 'text', text: { body: 'forged' } }],
    });
    const receipts = await s.db.em.fork().count(WebhookReceipt, {});
    assert.equal((await post(body, whatsAppSignature('another-secret', body))).status, 401);
    assert.equal((await post(body, 'sha256=')).status, 401);
    assert.equal((await post(body, '')).status, 401);
    assert.equal(await s.db.em.fork().count(WebhookReceipt, {}), receipts);
    assert.equal(await s.db.em.fork().count(Message, { channelMessageId: 'wamid.FORGED' }), 0);
  });
});
