import { TelegramAdapter } from '../../src/channels/telegram/telegram.adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { FakeTelegram, telegramMessage, telegramReactionUpdate, TINY_PNG } from '../helpers/fake-telegram';
import { adapterContract, type SignedWebhook } from './adapter-contract';

const BOT_TOKEN = '7123456789:AAHk-contract-test-token-0123456789ab';
const CHAT = 424242;

adapterContract({
  provider: 'telegram',
  async setup() {
    const fake = new FakeTelegram(BOT_TOKEN);
    await fake.start();
    const adapter = new TelegramAdapter(
      {
        id: 'inb_telegramcontract',
        tenantId: 'tn_contract',
        channel: ChannelKind.TELEGRAM,
        provider: 'telegram',
        providerConfig: { botToken: BOT_TOKEN, baseUrl: fake.url },
        senderAddress: '@acme_support_bot',
      },
      { fetch, webhookUrl: 'https://switchboard.example/webhooks/inb_telegramcontract' },
    );
    // Telegram learns the secret token from setWebhook and sends it back on every update.
    const connected = await adapter.connect(AbortSignal.timeout(5_000));
    if (connected.status !== 'ok' || !fake.webhook) throw new Error(`setWebhook failed: ${connected.message}`);
    const secret = fake.webhook.secretToken;
    const signed = (update: Record<string, unknown>): SignedWebhook => ({
      body: Buffer.from(JSON.stringify(update)),
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    });
    let messageId = 100;
    return {
      adapter,
      customer: String(CHAT),
      nextSend: (outcome) => fake.nextSend(outcome),
      sendRequests: () =>
        fake.calls
          .filter((c) => c.method.startsWith('send'))
          .map((c) => ({ to: String(c.params.chat_id), text: typeof c.params.text === 'string' ? c.params.text : null })),
      webhooks: {
        inboundText: (text) => signed({ update_id: fake.nextUpdateId(), message: telegramMessage(CHAT, ++messageId, { text }) }),
        inboundMedia: () => {
          const fileId = fake.addFile(TINY_PNG, 'photos/file_7.jpg');
          const sizes = [
            { file_id: `${fileId}-thumb`, file_unique_id: 'AQADt', width: 1, height: 1, file_size: 10 },
            { file_id: fileId, file_unique_id: 'AQADo', width: 800, height: 600, file_size: TINY_PNG.length },
          ];
          return signed({
            update_id: fake.nextUpdateId(),
            message: telegramMessage(CHAT, ++messageId, { photo: sizes, caption: 'my receipt' }),
          });
        },
        // Our channel message ids are `<chat>:<message_id>` (Telegram numbers messages per chat).
        reaction: (channelMessageId, emoji) => {
          const [chat, id] = channelMessageId.includes(':') ? channelMessageId.split(':') : [String(CHAT), channelMessageId];
          return signed(telegramReactionUpdate(fake.nextUpdateId(), Number(chat), Number(id), [], [emoji]));
        },
      },
      mediaBytes: TINY_PNG,
      // Telegram signs nothing: it echoes the secret token we gave setWebhook.
      signsBody: false,
      close: () => fake.close(),
    };
  },
});
