import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection } from '../src/modules/message/sender-type';
import type { ReactionSettled } from '../src/modules/reaction/reaction-delivery';
import { ReactionOutbox } from '../src/modules/reaction/reaction-outbox.entity';
import { errorCode } from './helpers/client';
import {
  AdminTestInboxConnectionDocument,
  SendMessageDocument,
  TelegramCreateInboxDocument,
  TelegramMessageDocument,
  TelegramReactDocument,
  TelegramUpdateInboxDocument,
} from './generated/graphql';
import { testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { FakeTelegram, telegramMessage, telegramReactionUpdate, TINY_PNG } from './helpers/fake-telegram';
import { startTestServer, type TestServer } from './helpers/server';
import { uploadFile } from './helpers/upload';

const BOT_TOKEN = '7123456789:AAHk-e2e-test-token-0123456789abcdef';
const CHAT = 424242;

describe('Telegram bot inbox end to end against a fake Bot API', () => {
  const fake = new FakeTelegram(BOT_TOKEN);
  let s: TestServer;
  let inboxId: string;
  let conversationId: string;
  /** Our id of the customer's first text message, and its Telegram message_id. */
  let inboundText: { id: string; telegramId: number };

  before(async () => {
    await fake.start();
    s = await startTestServer({ config: { delivery: testDeliveryConfig() } });
  });
  after(async () => {
    if (s) await s.close();
    await fake.close();
  });

  /** Posts an update the way Telegram does: JSON body, the registered secret in its header. */
  const post = async (update: Record<string, unknown>, secret: string | null = fake.webhook!.secretToken) => {
    const res = await fetch(`${s.httpUrl}/webhooks/${inboxId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body: JSON.stringify(update),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const customerWrites = (fields: Record<string, unknown>) => {
    const telegramId = fake.nextMessageId(CHAT);
    return { telegramId, update: { update_id: fake.nextUpdateId(), message: telegramMessage(CHAT, telegramId, fields) } };
  };
  const messageView = async (id: string) => {
    const { node } = await s.client().data(TelegramMessageDocument, { id });
    assert.equal(node?.__typename, 'Message');
    return node as Extract<typeof node, { __typename: 'Message' }>;
  };
  const settled = async (messageId: string): Promise<ReactionSettled> => {
    for (;;) {
      const [outcome] = (await once(s.server.deps.reactionDelivery!.events, 'settled')) as [ReactionSettled];
      if (outcome.messageId === messageId) return outcome;
    }
  };

  test('a bad bot token is refused naming the field, and nothing is created', async () => {
    const before = await s.db.em.fork().count(Inbox, {});
    const res = await s.client().request(TelegramCreateInboxDocument, {
      input: { name: 'Bot', channel: 'TELEGRAM', senderAddress: '@acme_support_bot', settings: { telegram: { botToken: 'not a token' } } },
    });
    assert.equal(errorCode(res), 'BAD_USER_INPUT');
    assert.match(JSON.stringify(res.errors), /input\.settings\.telegram\.botToken/);
    assert.equal(await s.db.em.fork().count(Inbox, {}), before);
    assert.equal(fake.callsOf('setWebhook').length, 0);
  });

  test('createInbox with a telegram member registers our webhook URL and a secret token with setWebhook', async () => {
    const { createInbox } = await s.client().data(TelegramCreateInboxDocument, {
      input: {
        name: 'Telegram support bot',
        channel: 'TELEGRAM',
        senderAddress: '@acme_support_bot',
        settings: { telegram: { botToken: BOT_TOKEN, baseUrl: fake.url } },
      },
    });
    inboxId = createInbox.inbox.id;
    assert.equal(createInbox.connection?.status, 'OK', createInbox.connection?.message);
    assert.deepEqual(createInbox.inbox.capabilities, { deliveryReceipts: false, readReceipts: false, reactions: true });
    assert.equal(fake.callsOf('setWebhook').length, 1);
    assert.equal(fake.webhook?.url, `${s.httpUrl}/webhooks/${inboxId}`);
    assert.match(fake.webhook?.secretToken ?? '', /^[A-Za-z0-9_-]{32,256}$/);
    assert.deepEqual(fake.webhook?.allowedUpdates, ['message', 'edited_message', 'message_reaction']);
    const stored = await s.db.em.fork().findOneOrFail(Inbox, inboxId);
    assert.ok(!JSON.stringify(stored.providerConfig).includes(BOT_TOKEN), 'the bot token is stored sealed, not in plain settings');
  });

  test('an update without the secret token, or with a wrong one, is 401 and stores nothing', async () => {
    const { update } = customerWrites({ text: 'forged' });
    assert.equal((await post(update, null)).status, 401);
    assert.equal((await post(update, 'x'.repeat(64))).status, 401);
    assert.equal((await post(update, `${fake.webhook!.secretToken}x`)).status, 401);
    assert.equal(await s.db.em.fork().count(Message, { inboxId }), 0);
  });

  test('a customer text starts a conversation; a photo arrives and downloads with the same bytes', async () => {
    const text = customerWrites({ text: 'Hallo, wo ist meine Bestellung?' });
    assert.deepEqual(await post(text.update), { status: 200, body: { received: 1, duplicates: 0 } });
    assert.deepEqual(await post(text.update), { status: 200, body: { received: 1, duplicates: 1 } }, 'Telegram redelivers; harmless');
    const first = await s.db.em.fork().findOneOrFail(Message, { inboxId, channelMessageId: `${CHAT}:${text.telegramId}` });
    assert.equal(first.direction, MessageDirection.INBOUND);
    conversationId = first.conversationId;
    inboundText = { id: first.id, telegramId: text.telegramId };
    assert.deepEqual((await messageView(first.id)).content, { __typename: 'TextContent', body: 'Hallo, wo ist meine Bestellung?' });

    const fileId = fake.addFile(TINY_PNG, 'photos/file_12.jpg');
    const photo = customerWrites({
      caption: 'Der Beleg',
      photo: [
        { file_id: `${fileId}-small`, file_unique_id: 'AQADs', width: 90, height: 90, file_size: 1200 },
        { file_id: fileId, file_unique_id: 'AQADl', width: 1280, height: 1280, file_size: TINY_PNG.length },
      ],
    });
    assert.equal((await post(photo.update)).status, 200);
    const stored = await s.db.em.fork().findOneOrFail(Message, { inboxId, channelMessageId: `${CHAT}:${photo.telegramId}` });
    assert.equal(stored.conversationId, conversationId, 'same chat, same conversation');
    const view = await messageView(stored.id);
    assert.equal(view.content?.__typename, 'MediaContent');
    const media = view.content as Extract<typeof view.content, { __typename: 'MediaContent' }>;
    assert.deepEqual([media.mediaKind, media.caption, media.unavailable], ['IMAGE', 'Der Beleg', null]);
    assert.equal(fake.callsOf('getFile').at(-1)?.params.file_id, fileId, 'the largest size is fetched');
    const download = await fetch(new URL(media.url!, s.httpUrl));
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), TINY_PNG);
  });

  test('a reply goes out with sendMessage to the chat, quoting the message, and ends at SENT: Telegram has no receipts', async () => {
    const { sendMessage } = await s.client().data(SendMessageDocument, {
      input: {
        recipient: { conversation: { conversationId } },
        content: { text: { body: 'Sie ist unterwegs.' } },
        replyToMessageId: inboundText.id,
      },
    });
    const sent = await waitForMessage(
      s.db,
      s.server.deps.pubsub,
      s.demo.tenant.id,
      sendMessage.message.id,
      (m) => m.deliveryStatus === DeliveryStatus.SENT,
    );
    const call = fake.callsOf('sendMessage').find((c) => c.params.text === 'Sie ist unterwegs.');
    assert.deepEqual(call?.params, {
      chat_id: String(CHAT),
      text: 'Sie ist unterwegs.',
      reply_parameters: { message_id: inboundText.telegramId, allow_sending_without_reply: true },
    });
    assert.match(sent.channelMessageId ?? '', new RegExp(`^${CHAT}:\\d+$`));
    assert.equal((await messageView(sent.id)).deliveryStatus, 'SENT');
  });

  test("an agent's reaction reaches setMessageReaction; an emoji Telegram refuses shows as deliveryError", async () => {
    const delivered = settled(inboundText.id);
    const { reactToMessage } = await s.client().data(TelegramReactDocument, { messageId: inboundText.id, emoji: '👍' });
    assert.equal(reactToMessage.reaction?.emoji, '👍');
    assert.equal((await delivered).error, null);
    assert.deepEqual(fake.callsOf('setMessageReaction').at(-1)?.params, {
      chat_id: String(CHAT),
      message_id: inboundText.telegramId,
      reaction: [{ type: 'emoji', emoji: '👍' }],
    });

    const calls = fake.callsOf('setMessageReaction').length;
    const refused = settled(inboundText.id);
    await s.client().data(TelegramReactDocument, { messageId: inboundText.id, emoji: '🦩' });
    assert.match((await refused).error ?? '', /cannot react with 🦩/);
    assert.equal(fake.callsOf('setMessageReaction').length, calls, 'refused before the call: not in the reaction set');
    const [reaction] = (await messageView(inboundText.id)).reactions ?? [];
    assert.equal(reaction.emoji, '🦩');
    assert.match(reaction.deliveryError ?? '', /Telegram bots cannot react with 🦩/);

    const removed = settled(inboundText.id);
    await s.client().data(TelegramReactDocument, { messageId: inboundText.id, emoji: '🦩', removed: true });
    assert.equal((await removed).error, null);
    assert.deepEqual(fake.callsOf('setMessageReaction').at(-1)?.params.reaction, [], 'taking it back clears the reaction in Telegram');
  });

  test("a customer's reaction to our reply shows on the message, and taking it back removes it", async () => {
    const ours = await s.db.em.fork().findOneOrFail(Message, { conversationId, direction: MessageDirection.OUTBOUND });
    const telegramId = Number(ours.channelMessageId!.split(':')[1]);
    assert.equal((await post(telegramReactionUpdate(fake.nextUpdateId(), CHAT, telegramId, [], ['❤']))).status, 200);
    assert.deepEqual((await messageView(ours.id)).reactions, [{ emoji: '❤', actorType: 'CUSTOMER', deliveryError: null }]);
    assert.equal((await post(telegramReactionUpdate(fake.nextUpdateId(), CHAT, telegramId, ['❤'], []))).status, 200);
    assert.deepEqual((await messageView(ours.id)).reactions, []);
  });

  test('an uploaded photo is sent as multipart sendPhoto with its bytes and caption (Telegram need not reach our URLs)', async () => {
    const upload = await uploadFile(s, s.tokens.owner, { bytes: TINY_PNG, type: 'image/png', name: 'beleg.png' });
    const { sendMessage } = await s.client().data(SendMessageDocument, {
      input: { recipient: { conversation: { conversationId } }, content: { media: { mediaId: upload.id, caption: 'Ihr Beleg' } } },
    });
    await waitForMessage(
      s.db,
      s.server.deps.pubsub,
      s.demo.tenant.id,
      sendMessage.message.id,
      (m) => m.deliveryStatus === DeliveryStatus.SENT,
    );
    const call = fake.callsOf('sendPhoto').at(-1);
    assert.deepEqual(call?.params, { chat_id: String(CHAT), caption: 'Ihr Beleg' });
    assert.deepEqual(call?.files.photo?.bytes, TINY_PNG);
    assert.equal(call?.files.photo?.type, 'image/png');
  });

  test('a reaction owed when the deliverer was down goes out when it starts; a rate-limited one is retried', async () => {
    const deliverer = s.server.deps.reactionDelivery!;
    await deliverer.stop();
    const calls = fake.callsOf('setMessageReaction').length;
    await s.client().data(TelegramReactDocument, { messageId: inboundText.id, emoji: '🔥' });
    assert.equal(await s.db.em.fork().count(ReactionOutbox, { messageId: inboundText.id }), 1, 'recorded with the reaction');
    assert.equal(fake.callsOf('setMessageReaction').length, calls, 'nothing sent while the deliverer is down');

    fake.nextReaction('rate_limited');
    const delivered = settled(inboundText.id);
    deliverer.start();
    assert.equal((await delivered).error, null);
    const made = fake.callsOf('setMessageReaction').slice(calls);
    assert.equal(made.length, 2, 'the 429 was retried once');
    assert.deepEqual(made[1].params.reaction, [{ type: 'emoji', emoji: '🔥' }]);
    assert.equal(await s.db.em.fork().count(ReactionOutbox, { messageId: inboundText.id }), 0);
    assert.equal((await messageView(inboundText.id)).reactions?.[0]?.deliveryError, null);
  });

  test('testInboxConnection names the bot (getMe); a token Telegram refuses shows BAD_CREDENTIALS on update and on test', async () => {
    const ok = await s.client().data(AdminTestInboxConnectionDocument, { inboxId });
    assert.deepEqual(ok.testInboxConnection, { status: 'OK', message: 'Connected to the bot @acme_support_bot.' });

    const revoked = '7123456789:AAHk-revoked-token-0123456789abcdefgh';
    const { updateInbox } = await s.client().data(TelegramUpdateInboxDocument, {
      input: { inboxId, settings: { telegram: { botToken: revoked, baseUrl: fake.url } } },
    });
    assert.equal(updateInbox.connection?.status, 'BAD_CREDENTIALS', 'setWebhook with the new token was refused (401)');
    const bad = await s.client().data(AdminTestInboxConnectionDocument, { inboxId });
    assert.equal(bad.testInboxConnection.status, 'BAD_CREDENTIALS');
    assert.match(bad.testInboxConnection.message, /Unauthorized/);

    const back = await s
      .client()
      .data(TelegramUpdateInboxDocument, { input: { inboxId, settings: { telegram: { botToken: BOT_TOKEN, baseUrl: fake.url } } } });
    assert.equal(back.updateInbox.connection?.status, 'OK');
    const renamed = await s.client().data(TelegramUpdateInboxDocument, { input: { inboxId, name: 'Telegram bot (EU)' } });
    assert.equal(renamed.updateInbox.connection, null, 'a change that leaves the settings alone registers nothing');
  });
});
