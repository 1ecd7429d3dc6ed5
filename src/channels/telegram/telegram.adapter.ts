import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { ChannelKind } from '../../modules/channel/channel-kind';
import { ContentKind } from '../../modules/message/content-kind';
import { sameSecret } from '../../lib/same-secret';
import { channelCapabilities } from '../capabilities';
import {
  headerValue,
  type AdapterCapabilities,
  type AdapterInbox,
  type HttpAdapterDeps,
  type ChannelAdapter,
  type ConnectionTestResult,
  type FetchedMedia,
  type InboundMediaSource,
  type NormalisedInboundEvent,
  type OutboundMessage,
  type OutboundReaction,
  type SendContext,
  type SendFailure,
  type SendResult,
  type SenderRateLimits,
} from '../channel-adapter';
import { fetchFailure, networkCause, notConfigured } from '../http-failure';
import {
  parseTelegramUpdate,
  replyParameters,
  TELEGRAM_ALLOWED_UPDATES,
  TELEGRAM_MEDIA_METHODS,
  telegramChannelMessageId,
  telegramFailure,
  telegramMessageNumber,
  telegramReactionBody,
  telegramReactionEmoji,
  telegramTextBody,
  type TgResponse,
  type TgSentMessage,
} from './telegram.wire';

/** The provider name of Telegram bot inboxes. */
export const TELEGRAM_PROVIDER = 'telegram';

/** Bot API base used when an inbox sets none. */
export const TELEGRAM_API_URL = 'https://api.telegram.org';

/** A Telegram inbox's `providerConfig` (the bot token opened from its sealed secret). */
export interface TelegramSettings {
  botToken: string;
  /** Bot API base URL (tests point it at a local fake server). */
  baseUrl: string;
}

/** Reads the Telegram keys of an inbox's providerConfig; a missing token is empty (calls fail as `auth`). */
export function telegramSettings(config: Record<string, unknown>): TelegramSettings {
  const s = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');
  return { botToken: s('botToken'), baseUrl: (s('baseUrl') || TELEGRAM_API_URL).replace(/\/+$/, '') };
}

/**
 * The `secret_token` of an inbox's webhook: HMAC-SHA256 of the inbox id keyed by the bot token,
 * hex (setWebhook allows 1–256 of `A-Za-z0-9_-` and echoes it in `X-Telegram-Bot-Api-Secret-Token`,
 * https://core.telegram.org/bots/api#setwebhook). Derived rather than stored because the settings
 * table has no secrets the admin does not type, and deriving needs no migration: whoever knows the
 * bot token could call setWebhook themselves anyway, a token rotation changes it (and the update
 * that stores the new token calls connect(), which registers it), and it differs per inbox.
 */
export function telegramWebhookSecret(botToken: string, inboxId: string): string {
  return createHmac('sha256', botToken).update(`switchboard-telegram-webhook:${inboxId}`).digest('hex');
}

/** What the adapter needs besides the inbox: `webhookUrl` goes to setWebhook; uploads are sent as bytes (Telegram may not reach our URLs). */
export type TelegramAdapterDeps = HttpAdapterDeps;

/**
 * Adapter for the Telegram Bot API. Telegram has no idempotency key and no delivery or read
 * receipts: a message ends at SENT, and a send whose answer was lost is uncertain for good (the
 * worker's settle time then decides). Files are uploaded as multipart, not passed by URL, since a
 * Switchboard behind a firewall is not reachable by Telegram's servers.
 */
export class TelegramAdapter implements ChannelAdapter {
  readonly provider = TELEGRAM_PROVIDER;
  readonly channel = ChannelKind.TELEGRAM;
  readonly idempotentSends = false;
  // Rich content (inline keyboards) is not built yet: composers must not offer it.
  readonly capabilities: AdapterCapabilities = {
    ...channelCapabilities(ChannelKind.TELEGRAM),
    richContent: false,
    readReceipts: false,
    deliveryReceipts: false,
  };
  /** https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this: ~30 messages/s overall, 1/s per chat. */
  readonly rateLimits: SenderRateLimits = { perSecond: 30, perRecipientPerSecond: 1, recipientBurst: 1 };
  private readonly settings: TelegramSettings;
  private readonly secretToken: string;

  constructor(
    private readonly inbox: AdapterInbox,
    private readonly deps: TelegramAdapterDeps,
  ) {
    if (inbox.channel !== ChannelKind.TELEGRAM) {
      throw new Error(`Inbox ${inbox.id}: the Telegram provider carries TELEGRAM inboxes only, not ${inbox.channel}.`);
    }
    this.settings = telegramSettings(inbox.providerConfig);
    this.secretToken = this.settings.botToken ? telegramWebhookSecret(this.settings.botToken, inbox.id) : '';
  }

  private methodUrl(method: string): string {
    return `${this.settings.baseUrl}/bot${this.settings.botToken}/${method}`;
  }

  /** One Bot API call; a network failure comes back as a `temporary` failure (uncertain unless it never left). */
  private async call<T>(
    method: string,
    body: Record<string, unknown> | FormData,
    signal: AbortSignal,
  ): Promise<{ ok: true; result: T } | { ok: false; failure: SendFailure }> {
    if (!this.settings.botToken) return notConfigured('The inbox has no Telegram bot token.');
    let res: Response;
    try {
      res = await this.deps.fetch(this.methodUrl(method), {
        method: 'POST',
        ...(body instanceof FormData ? { body } : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      return { ok: false, failure: fetchFailure('Telegram', err) };
    }
    const json = (await res.json().catch(() => null)) as TgResponse<T> | null;
    if (res.ok && json?.ok === true && json.result !== undefined) return { ok: true, result: json.result };
    if (res.ok)
      return {
        ok: false,
        failure: { kind: 'temporary', uncertain: true, code: 'bad_response', reason: 'Telegram answered without a result.' },
      };
    return { ok: false, failure: telegramFailure(res.status, json) };
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const content = message.content;
    let answer: Awaited<ReturnType<TelegramAdapter['call']>>;
    if (content.kind === ContentKind.TEXT) {
      answer = await this.call<TgSentMessage>(
        'sendMessage',
        telegramTextBody(ctx.to, content.body, message.replyToChannelMessageId),
        ctx.signal,
      );
    } else if (content.kind === ContentKind.MEDIA) {
      const form = await this.mediaForm(message, ctx.to);
      if (typeof form === 'string') return { ok: false, failure: { kind: 'unsupported', code: 'unsupported', reason: form } };
      answer = await this.call<TgSentMessage>(TELEGRAM_MEDIA_METHODS[content.mediaKind].method, form, ctx.signal);
    } else {
      return {
        ok: false,
        failure: { kind: 'unsupported', code: 'unsupported', reason: `Telegram bots send text and files, not ${content.kind} content.` },
      };
    }
    if (!answer.ok) return answer;
    const id = (answer.result as TgSentMessage).message_id;
    if (typeof id !== 'number')
      return {
        ok: false,
        failure: { kind: 'temporary', uncertain: true, code: 'bad_response', reason: 'Telegram returned no message_id.' },
      };
    return { ok: true, channelMessageId: telegramChannelMessageId(ctx.to, id) };
  }

  /** The multipart body of a file send (the upload's bytes under the method's field), or why there is none. */
  private async mediaForm(message: OutboundMessage, chatId: string): Promise<FormData | string> {
    const content = message.content;
    if (content.kind !== ContentKind.MEDIA) return 'not a file';
    const spec = TELEGRAM_MEDIA_METHODS[content.mediaKind];
    const form = new FormData();
    form.set('chat_id', chatId);
    if (content.mediaId) {
      const file = await this.deps.media?.file(content.mediaId);
      if (!file) return `the uploaded file ${content.mediaId} is not available to this inbox`;
      const bytes = await file.read();
      form.set(spec.field, new Blob([new Uint8Array(bytes)], { type: file.mimeType }), content.filename ?? file.filename);
    } else if (content.url) {
      // A public https URL: Telegram fetches it itself.
      form.set(spec.field, content.url);
    } else {
      return 'a file message needs an uploaded file or a URL';
    }
    if (spec.caption && content.caption) form.set('caption', content.caption);
    const reply = replyParameters(message.replyToChannelMessageId).reply_parameters;
    if (reply) form.set('reply_parameters', JSON.stringify(reply));
    return form;
  }

  /** Constant-time check of `X-Telegram-Bot-Api-Secret-Token` against the one {@link connect} registered. */
  verifySignature(_rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    const given = headerValue(headers, 'x-telegram-bot-api-secret-token');
    return this.secretToken !== '' && sameSecret(given, this.secretToken);
  }

  parseWebhook(rawBody: Buffer): NormalisedInboundEvent[] {
    return parseTelegramUpdate(rawBody);
  }

  /** `getFile` names the file's path, then `{base}/file/bot<token>/<file_path>` serves it (files up to 20 MB). */
  async fetchMedia(source: InboundMediaSource, signal: AbortSignal): Promise<FetchedMedia> {
    if (!source.ref) throw new Error('The Telegram update named no file_id.');
    const file = await this.call<{ file_path?: string }>('getFile', { file_id: source.ref }, signal);
    if (!file.ok) throw new Error(`Telegram getFile failed: ${file.failure.reason}`);
    const path = file.result.file_path;
    if (!path) throw new Error('Telegram has no file_path for this file (larger than 20 MB?).');
    const res = await this.deps.fetch(`${this.settings.baseUrl}/file/bot${this.settings.botToken}/${path}`, { signal });
    if (!res.ok || !res.body) throw new Error(`Telegram file download answered HTTP ${res.status}.`);
    return {
      body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      mimeType: source.mimeType ?? res.headers.get('content-type'),
      filename: source.filename ?? path.split('/').pop() ?? null,
    };
  }

  /** `setMessageReaction` with one emoji of Telegram's reaction set (others are refused before the call), or none to remove. */
  async sendReaction(reaction: OutboundReaction, signal: AbortSignal): Promise<SendResult> {
    const messageId = telegramMessageNumber(reaction.channelMessageId);
    if (messageId === null)
      return {
        ok: false,
        failure: { kind: 'rejected', code: 'bad_message_id', reason: `"${reaction.channelMessageId}" is not a Telegram message id.` },
      };
    const emoji = reaction.emoji === null ? null : telegramReactionEmoji(reaction.emoji);
    if (reaction.emoji !== null && emoji === null)
      return {
        ok: false,
        failure: {
          kind: 'rejected',
          code: 'telegram_reaction_invalid',
          reason: `Telegram bots cannot react with ${reaction.emoji}; only its standard reaction emoji.`,
        },
      };
    const answer = await this.call<boolean>('setMessageReaction', telegramReactionBody(reaction.to, messageId, emoji), signal);
    return answer.ok ? { ok: true, channelMessageId: reaction.channelMessageId } : answer;
  }

  /** `setWebhook` with our URL, the derived secret token and the updates we read. */
  async connect(signal: AbortSignal): Promise<ConnectionTestResult> {
    const answer = await this.call<boolean>(
      'setWebhook',
      { url: this.deps.webhookUrl, secret_token: this.secretToken, allowed_updates: TELEGRAM_ALLOWED_UPDATES },
      signal,
    ).catch((err: unknown) => ({
      ok: false as const,
      failure: { kind: 'temporary' as const, code: 'network', reason: networkCause(err) },
    }));
    if (answer.ok) return { status: 'ok', message: `Telegram will post updates to ${this.deps.webhookUrl}.` };
    return connectionFailure(answer.failure, `Telegram refused the webhook ${this.deps.webhookUrl}`);
  }

  /** `getMe`: the bot's username when the token works. */
  async testConnection(signal: AbortSignal): Promise<ConnectionTestResult> {
    const answer = await this.call<{ username?: string }>('getMe', {}, signal).catch((err: unknown) => ({
      ok: false as const,
      failure: { kind: 'temporary' as const, code: 'network', reason: networkCause(err) },
    }));
    if (answer.ok) return { status: 'ok', message: `Connected to the bot @${answer.result.username ?? '?'}.` };
    return connectionFailure(answer.failure, 'Telegram refused getMe');
  }
}

/** A failed Bot API call as a connection result: 401/404 (a token Telegram does not know) is bad_credentials. */
function connectionFailure(failure: SendFailure, what: string): ConnectionTestResult {
  if (failure.kind === 'auth') return { status: 'bad_credentials', message: `The bot token was refused: ${failure.reason}` };
  if (failure.kind === 'temporary') return { status: 'unreachable', message: `Telegram could not be reached or failed: ${failure.reason}` };
  return { status: 'unreachable', message: `${what}: ${failure.reason}` };
}
