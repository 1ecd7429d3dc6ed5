import { ContentKind, MediaKind } from '../../modules/message/content-kind';
import type { StoredContent } from '../../modules/message/message-content';
import {
  WebhookPayloadError,
  type InboundMediaSource,
  type MessageReceivedEvent,
  type NormalisedInboundEvent,
  type SendFailure,
  type SendFailureKind,
} from '../channel-adapter';
import { arr, jsonBody, obj, str, type Json } from '../webhook-json';

/**
 * Telegram Bot API wire format (https://core.telegram.org/bots/api): every method is
 * `POST {base}/bot<token>/<method>` answering `{ ok: true, result }` or
 * `{ ok: false, error_code, description, parameters?: { retry_after } }`; webhooks post one
 * `Update` per request. Only the parts the product uses are typed.
 */

/** A Bot API answer. */
export interface TgResponse<T = unknown> {
  ok?: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** The `Message` fields a send answers with. */
export interface TgSentMessage {
  message_id?: number;
}

/** Which upload method and multipart field carry each media kind (`sendPhoto` + `photo`, …). */
export const TELEGRAM_MEDIA_METHODS: Readonly<Record<MediaKind, { method: string; field: string; caption: boolean }>> = {
  [MediaKind.IMAGE]: { method: 'sendPhoto', field: 'photo', caption: true },
  [MediaKind.VIDEO]: { method: 'sendVideo', field: 'video', caption: true },
  [MediaKind.AUDIO]: { method: 'sendAudio', field: 'audio', caption: true },
  [MediaKind.DOCUMENT]: { method: 'sendDocument', field: 'document', caption: true },
  // Stickers take no caption (sendSticker has no such parameter).
  [MediaKind.STICKER]: { method: 'sendSticker', field: 'sticker', caption: false },
};

/** The updates a Switchboard bot subscribes to in `setWebhook`. */
export const TELEGRAM_ALLOWED_UPDATES = ['message', 'edited_message', 'message_reaction'] as const;

/**
 * The emoji a bot may react with (ReactionTypeEmoji, Bot API 7.x, https://core.telegram.org/bots/api#reactiontypeemoji;
 * the same list is in aiogram's and telegram-bot-api's docs): anything else is refused by Telegram
 * with REACTION_INVALID. Written with their ZWJs; compared without VS16 (see
 * {@link telegramReactionEmoji}), because Telegram lists "❤" bare while keyboards send "❤️".
 */
const STANDARD_REACTIONS: ReadonlySet<string> = new Set([
  '👍',
  '👎',
  '❤',
  '🔥',
  '🥰',
  '👏',
  '😁',
  '🤔',
  '🤯',
  '😱',
  '🤬',
  '😢',
  '🎉',
  '🤩',
  '🤮',
  '💩',
  '🙏',
  '👌',
  '🕊',
  '🤡',
  '🥱',
  '🥴',
  '😍',
  '🐳',
  '❤\u200d🔥',
  '🌚',
  '🌭',
  '💯',
  '🤣',
  '⚡',
  '🍌',
  '🏆',
  '💔',
  '🤨',
  '😐',
  '🍓',
  '🍾',
  '💋',
  '🖕',
  '😈',
  '😴',
  '😭',
  '🤓',
  '👻',
  '👨\u200d💻',
  '👀',
  '🎃',
  '🙈',
  '😇',
  '😨',
  '🤝',
  '✍',
  '🤗',
  '🫡',
  '🎅',
  '🎄',
  '☃',
  '💅',
  '🤪',
  '🗿',
  '🆒',
  '💘',
  '🙉',
  '🦄',
  '😘',
  '💊',
  '🙊',
  '😎',
  '👾',
  '🤷\u200d♂',
  '🤷',
  '🤷\u200d♀',
  '😡',
]);

/** The emoji as Telegram spells it in its reaction set, or null when a bot cannot react with it. */
export function telegramReactionEmoji(emoji: string): string | null {
  const bare = emoji.replace(/\uFE0F/g, '');
  return STANDARD_REACTIONS.has(bare) ? bare : null;
}

/**
 * Failure kinds by Bot API `error_code`. Telegram's codes are HTTP statuses; the description tells
 * 400s apart (chat not found, REACTION_INVALID, …) but every 400 is a refusal of this request, so
 * the table needs no more. 5xx (and anything unlisted ≥ 500) is temporary and uncertain: Telegram
 * has no idempotency key and does not promise a 5xx means "not accepted".
 */
const ERROR_KINDS: Readonly<Record<number, SendFailureKind>> = {
  400: 'rejected', // Bad Request: chat not found, message to reply not found, REACTION_INVALID, …
  401: 'auth', // Unauthorized: the bot token is wrong or revoked
  403: 'rejected', // Forbidden: bot was blocked by the user / is not a member of the chat
  404: 'auth', // Not Found: the token names no bot (Telegram answers 404 for a malformed token)
  409: 'rejected', // Conflict (e.g. getUpdates while a webhook is set): not a send answer we can retry
  413: 'rejected', // Request Entity Too Large
  420: 'temporary', // FLOOD_WAIT on some gateways
  429: 'temporary', // Too Many Requests: retry after N (parameters.retry_after)
};

/** Translates a refused Bot API call (HTTP status and body) into a failure. */
export function telegramFailure(httpStatus: number, body: TgResponse | null): SendFailure {
  const code = typeof body?.error_code === 'number' ? body.error_code : httpStatus;
  const uncertain = code >= 500 || httpStatus >= 500;
  const kind: SendFailureKind = uncertain ? 'temporary' : (ERROR_KINDS[code] ?? 'rejected');
  const retryAfter = body?.parameters?.retry_after;
  const rateLimited = code === 429 || code === 420;
  return {
    kind,
    code: `telegram_${code}`,
    reason: body?.description || `Telegram answered HTTP ${httpStatus}`,
    ...(uncertain ? { uncertain: true } : {}),
    ...(rateLimited ? { rateLimited: true } : {}),
    ...(kind === 'temporary' && typeof retryAfter === 'number' && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  };
}

/**
 * Our channel message id of a Telegram message: `<chat_id>:<message_id>`. Telegram numbers
 * messages per chat, so the bare message_id of two customers' chats collides within one inbox
 * (where channel message ids are unique).
 */
export function telegramChannelMessageId(chatId: string, messageId: string | number): string {
  return `${chatId}:${messageId}`;
}

/** The chat's message_id in one of our channel message ids (a bare number is taken as it is), or null. */
export function telegramMessageNumber(channelMessageId: string): number | null {
  const n = Number(channelMessageId.slice(channelMessageId.lastIndexOf(':') + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** A text send (`sendMessage`). */
export function telegramTextBody(chatId: string, body: string, replyTo: string | null | undefined): Record<string, unknown> {
  return { chat_id: chatId, text: body, ...replyParameters(replyTo) };
}

/** `reply_parameters` (Bot API 7.0+) for a reply; a deleted original does not fail the send. */
export function replyParameters(replyTo: string | null | undefined): {
  reply_parameters?: { message_id: number; allow_sending_without_reply: true };
} {
  const id = replyTo ? telegramMessageNumber(replyTo) : null;
  return id !== null ? { reply_parameters: { message_id: id, allow_sending_without_reply: true } } : {};
}

/** The `setMessageReaction` body: one emoji, or none to take the reaction back. */
export function telegramReactionBody(chatId: string, messageId: number, emoji: string | null): Record<string, unknown> {
  return { chat_id: chatId, message_id: messageId, reaction: emoji ? [{ type: 'emoji', emoji }] : [] };
}

const idOf = (v: unknown): string | null => (typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v));

function unixTime(v: unknown): Date {
  const seconds = Number(v);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date();
}

/** The file a message carries: the largest photo size, or the document/voice/video/audio/sticker. */
function inboundFile(m: Json): { kind: MediaKind; media: InboundMediaSource } | null {
  const photos = arr(m.photo).map(obj);
  if (photos.length > 0) {
    // Telegram lists the sizes smallest first; the last is the original's resolution.
    const largest = photos.reduce((a, b) =>
      Number(b.width ?? 0) * Number(b.height ?? 0) >= Number(a.width ?? 0) * Number(a.height ?? 0) ? b : a,
    );
    const ref = str(largest.file_id);
    return ref ? { kind: MediaKind.IMAGE, media: { ref, mimeType: 'image/jpeg' } } : null;
  }
  const kinds: [string, MediaKind][] = [
    ['document', MediaKind.DOCUMENT],
    ['video', MediaKind.VIDEO],
    ['voice', MediaKind.AUDIO],
    ['audio', MediaKind.AUDIO],
    ['video_note', MediaKind.VIDEO],
    ['sticker', MediaKind.STICKER],
  ];
  for (const [field, kind] of kinds) {
    const f = obj(m[field]);
    const ref = str(f.file_id);
    if (ref) return { kind, media: { ref, mimeType: str(f.mime_type), filename: str(f.file_name) } };
  }
  return null;
}

function sender(m: Json): { from: string; fromName: string | null } {
  const chat = obj(m.chat);
  const from = idOf(chat.id);
  if (!from) throw new WebhookPayloadError('a message has no chat id');
  const user = obj(m.from);
  const name = [str(user.first_name), str(user.last_name)].filter(Boolean).join(' ') || str(user.username) || str(chat.title);
  return { from, fromName: name };
}

function messageEvent(updateId: string, m: Json): MessageReceivedEvent {
  const id = idOf(m.message_id);
  if (!id) throw new WebhookPayloadError('a message has no message_id');
  const who = sender(m);
  const replyTo = idOf(obj(m.reply_to_message).message_id);
  const file = inboundFile(m);
  const content: StoredContent = file
    ? {
        kind: ContentKind.MEDIA,
        mediaKind: file.kind,
        mediaId: null,
        url: null,
        mimeType: file.media.mimeType ?? null,
        filename: file.media.filename ?? null,
        caption: str(m.caption),
      }
    : { kind: ContentKind.TEXT, body: str(m.text) ?? (m.location ? '📍 location' : '[unsupported Telegram message]') };
  return {
    type: 'message_received',
    providerEventId: updateId,
    ...who,
    channelMessageId: telegramChannelMessageId(who.from, id),
    content,
    replyToChannelMessageId: replyTo ? telegramChannelMessageId(who.from, replyTo) : null,
    media: file?.media ?? null,
    occurredAt: unixTime(m.date),
  };
}

/** The one emoji of a reaction list (Telegram allows several for premium users; we keep the first plain emoji). */
function firstEmoji(list: unknown): string | null {
  for (const r of arr(list).map(obj)) if (r.type === 'emoji' && str(r.emoji)) return str(r.emoji);
  return null;
}

/**
 * Translates one webhook `Update`. The provider event id is `update_id` (unique per bot, repeated
 * when Telegram redelivers). An `edited_message` names a message id we usually hold already, so the
 * inbound service keeps the original (edits are not modelled); one we missed arrives as the message.
 * Group and channel chats are dropped: an inbox's conversations are one customer each.
 */
export function parseTelegramUpdate(rawBody: Buffer): NormalisedInboundEvent[] {
  const body = jsonBody(rawBody);
  const updateId = idOf(body.update_id);
  if (!updateId) throw new WebhookPayloadError('body.update_id must be a number');
  const message = body.message ?? body.edited_message;
  if (message) {
    const m = obj(message);
    if (obj(m.chat).type && obj(m.chat).type !== 'private') return []; // groups and channels are not conversations here
    return [messageEvent(updateId, m)];
  }
  if (body.message_reaction) {
    const r = obj(body.message_reaction);
    const messageId = idOf(r.message_id);
    const from = idOf(obj(r.chat).id);
    if (!messageId || !from) throw new WebhookPayloadError('message_reaction needs chat.id and message_id');
    const emoji = firstEmoji(r.new_reaction);
    return [
      {
        type: 'reaction_received',
        providerEventId: updateId,
        channelMessageId: telegramChannelMessageId(from, messageId),
        from,
        emoji,
        removed: emoji === null,
        occurredAt: unixTime(r.date),
      },
    ];
  }
  return [];
}
