import assert from 'node:assert/strict';
import { test } from 'node:test';
import { telegramWebhookSecret } from '../../src/channels/telegram/telegram.adapter';
import { parseTelegramUpdate, telegramFailure, telegramReactionEmoji } from '../../src/channels/telegram/telegram.wire';

const err = (code: number, description: string, parameters?: Record<string, unknown>) => ({
  ok: false,
  error_code: code,
  description,
  parameters,
});

test('Bot API errors map to failure kinds: 429 waits retry_after, 403/400 are refusals, 401 is auth, 5xx uncertain', () => {
  assert.deepEqual(telegramFailure(429, err(429, 'Too Many Requests: retry after 7', { retry_after: 7 })), {
    kind: 'temporary',
    code: 'telegram_429',
    reason: 'Too Many Requests: retry after 7',
    rateLimited: true,
    retryAfterMs: 7000,
  });
  assert.equal(telegramFailure(403, err(403, 'Forbidden: bot was blocked by the user')).kind, 'rejected');
  assert.equal(telegramFailure(400, err(400, 'Bad Request: chat not found')).kind, 'rejected');
  assert.equal(telegramFailure(401, err(401, 'Unauthorized')).kind, 'auth');
  const gateway = telegramFailure(502, null);
  assert.deepEqual(
    [gateway.kind, gateway.uncertain, gateway.code, gateway.reason],
    ['temporary', true, 'telegram_502', 'Telegram answered HTTP 502'],
  );
});

test("reaction emoji: Telegram's set only, keyboard VS16 forms accepted and sent bare", () => {
  assert.equal(telegramReactionEmoji('👍'), '👍');
  assert.equal(telegramReactionEmoji('❤️'), '❤');
  assert.equal(telegramReactionEmoji('❤️‍🔥'), '❤\u200d🔥');
  assert.equal(telegramReactionEmoji('🦩'), null);
  assert.equal(telegramReactionEmoji('👍🏽'), null, 'skin tones are not in the set');
});

test('updates: chat-scoped message ids, a removed reaction, groups dropped, malformed bodies refused', () => {
  const [reaction] = parseTelegramUpdate(
    Buffer.from(
      JSON.stringify({
        update_id: 9,
        message_reaction: { chat: { id: 5 }, message_id: 3, date: 1, old_reaction: [{ type: 'emoji', emoji: '👍' }], new_reaction: [] },
      }),
    ),
  );
  assert.deepEqual(reaction && { ...reaction, occurredAt: null }, {
    type: 'reaction_received',
    providerEventId: '9',
    channelMessageId: '5:3',
    from: '5',
    emoji: null,
    removed: true,
    occurredAt: null,
  });
  const group = { update_id: 10, message: { message_id: 1, chat: { id: -100, type: 'group' }, date: 1, text: 'hi all' } };
  assert.deepEqual(parseTelegramUpdate(Buffer.from(JSON.stringify(group))), []);
  assert.throws(() => parseTelegramUpdate(Buffer.from('{"message":{}}')), /update_id/);
  assert.throws(() => parseTelegramUpdate(Buffer.from('nope')), /not JSON/);
});

test('the webhook secret token is per inbox and per bot token, in the characters Telegram allows', () => {
  const a = telegramWebhookSecret('1:tok', 'inb_a');
  assert.match(a, /^[A-Za-z0-9_-]{1,256}$/);
  assert.notEqual(a, telegramWebhookSecret('1:tok', 'inb_b'));
  assert.notEqual(a, telegramWebhookSecret('1:other', 'inb_a'));
});
