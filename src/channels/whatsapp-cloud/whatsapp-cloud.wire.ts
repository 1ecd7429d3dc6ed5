import { ContentKind, MediaKind } from '../../modules/message/content-kind';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import type { StoredContent, TemplateParameter } from '../../modules/message/message-content';
import { WebhookPayloadError, type NormalisedInboundEvent, type SendFailure, type SendFailureKind } from '../channel-adapter';

/**
 * WhatsApp Cloud API wire format (Graph API): the request body of `POST /{phone-number-id}/messages`
 * and the `whatsapp_business_account` webhook. Only the parts the product uses are typed.
 */
export type WaSendBody = Record<string, unknown> & { messaging_product: 'whatsapp'; to: string; type: string };

/** A Graph API error body: `{ error: { message, type, code, error_subcode, error_data: { details } } }`. */
export interface WaErrorBody {
  error?: { message?: string; type?: string; code?: number; error_subcode?: number; error_data?: { details?: string } };
}

const MEDIA_TYPES: Readonly<Record<MediaKind, string>> = {
  [MediaKind.IMAGE]: 'image',
  [MediaKind.VIDEO]: 'video',
  [MediaKind.AUDIO]: 'audio',
  [MediaKind.DOCUMENT]: 'document',
  [MediaKind.STICKER]: 'sticker',
};

/** WhatsApp rejects captions on these media types. */
const CAPTIONLESS: ReadonlySet<MediaKind> = new Set([MediaKind.AUDIO, MediaKind.STICKER]);

function templateParameter(p: TemplateParameter): Record<string, unknown> | string {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'currency':
      return { type: 'currency', currency: { fallback_value: p.fallbackValue, code: p.code, amount_1000: p.amount1000 } };
    case 'date_time':
      return { type: 'date_time', date_time: { fallback_value: p.fallbackValue } };
    case 'media':
      if (!p.url) return 'template media parameters need a public URL (uploaded media is not pushed to WhatsApp yet)';
      return { type: MEDIA_TYPES[p.mediaKind], [MEDIA_TYPES[p.mediaKind]]: { link: p.url } };
  }
}

/**
 * Our stored content as a Cloud API message body, or the reason it cannot be sent.
 * `to` is E.164; WhatsApp wants the digits only.
 */
export function toWhatsAppBody(
  content: StoredContent,
  to: string,
  opts: { replyTo?: string | null; callbackData?: string } = {},
): WaSendBody | string {
  const base = {
    messaging_product: 'whatsapp' as const,
    recipient_type: 'individual',
    to: to.replace(/^\+/, ''),
    ...(opts.replyTo ? { context: { message_id: opts.replyTo } } : {}),
    // Echoed back in status webhooks: ties a status to our message even before we store the wamid.
    ...(opts.callbackData ? { biz_opaque_callback_data: opts.callbackData } : {}),
  };
  switch (content.kind) {
    case ContentKind.TEXT:
      return { ...base, type: 'text', text: { body: content.body, preview_url: false } };
    case ContentKind.MEDIA: {
      if (!content.url) return 'uploaded media is not pushed to WhatsApp yet; send media by https URL';
      const type = MEDIA_TYPES[content.mediaKind];
      const media: Record<string, unknown> = { link: content.url };
      if (content.caption && !CAPTIONLESS.has(content.mediaKind)) media.caption = content.caption;
      if (content.mediaKind === MediaKind.DOCUMENT && content.filename) media.filename = content.filename;
      return { ...base, type, [type]: media };
    }
    case ContentKind.TEMPLATE: {
      const components: Record<string, unknown>[] = [];
      for (const c of content.components) {
        const parameters = c.parameters.map(templateParameter);
        const bad = parameters.find((p): p is string => typeof p === 'string');
        if (bad) return bad;
        components.push({
          type: c.type,
          ...(c.type === 'button' ? { sub_type: c.subType ?? 'quick_reply', index: String(c.index ?? 0) } : {}),
          parameters,
        });
      }
      return { ...base, type: 'template', template: { name: content.name, language: { code: content.language }, components } };
    }
    case ContentKind.RICH:
      return 'WhatsApp sends rich content only through templates';
    case ContentKind.NOTE:
      return 'internal notes are never sent';
  }
}

/**
 * Graph API error codes, by what retrying would do. Sources: Meta's "Error codes" page for the
 * Cloud API. Anything not listed falls back to the HTTP status (5xx/429 temporary, 401/403 auth).
 */
const ERROR_KINDS: Readonly<Record<number, SendFailureKind>> = {
  0: 'auth', // AuthException
  190: 'auth', // access token expired or revoked
  10: 'auth', // permission denied
  200: 'auth',
  131031: 'auth', // business account locked
  131045: 'auth', // phone number not registered
  1: 'temporary', // API unknown
  2: 'temporary', // API service
  4: 'temporary', // API too many calls
  80007: 'temporary', // rate limit hit
  130429: 'temporary', // throughput exceeded
  131000: 'temporary', // something went wrong
  131016: 'temporary', // service unavailable
  131048: 'temporary', // spam rate limit
  131056: 'temporary', // pair rate limit
  133004: 'temporary', // server temporarily unavailable
  131047: 'window_closed', // re-engagement message: more than 24 hours since the customer wrote
  131051: 'unsupported', // unsupported message type
  131026: 'rejected', // message undeliverable
  131021: 'rejected', // recipient cannot be sender
  131049: 'rejected', // not delivered to maintain ecosystem health
  131052: 'rejected', // media download error
  131053: 'rejected', // media upload error
  100: 'rejected', // invalid parameter
  132000: 'rejected', // template parameter count mismatch
  132001: 'rejected', // template does not exist
  132012: 'rejected', // template parameter format mismatch
};

/** Translates a refused send (HTTP status, Graph error body, Retry-After) into a failure. */
export function whatsAppFailure(httpStatus: number, body: WaErrorBody | null, retryAfter: string | null): SendFailure {
  const err = body?.error;
  const code = typeof err?.code === 'number' ? err.code : null;
  // Meta does not document that a 5xx means "not accepted" (and a gateway 5xx can front a request
  // that was), so whatever the body says a 5xx is uncertain; 4xx answers are definite refusals.
  const uncertain = httpStatus >= 500;
  const kind: SendFailureKind = uncertain
    ? 'temporary'
    : ((code !== null ? ERROR_KINDS[code] : undefined) ??
      (httpStatus === 429 ? 'temporary' : httpStatus === 401 || httpStatus === 403 ? 'auth' : 'rejected'));
  const reason = [err?.message, err?.error_data?.details].filter(Boolean).join(': ') || `WhatsApp answered HTTP ${httpStatus}`;
  const seconds = retryAfter !== null ? Number(retryAfter) : NaN;
  return {
    kind,
    code: code !== null ? `whatsapp_${code}` : `http_${httpStatus}`,
    reason,
    ...(uncertain ? { uncertain: true } : {}),
    ...(kind === 'temporary' && Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}),
  };
}

const WA_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  sent: DeliveryStatus.SENT,
  delivered: DeliveryStatus.DELIVERED,
  read: DeliveryStatus.READ,
  failed: DeliveryStatus.FAILED,
};

const INBOUND_MEDIA: Readonly<Record<string, MediaKind>> = {
  image: MediaKind.IMAGE,
  video: MediaKind.VIDEO,
  audio: MediaKind.AUDIO,
  voice: MediaKind.AUDIO,
  document: MediaKind.DOCUMENT,
  sticker: MediaKind.STICKER,
};

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** WhatsApp ids (wa_id, `from`) are international numbers without the plus. */
function address(waId: unknown): string {
  const id = text(waId);
  if (!id) throw new WebhookPayloadError('a message has no sender');
  return id.startsWith('+') ? id : `+${id}`;
}

function unixTime(v: unknown): Date {
  const seconds = Number(v);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date();
}

/** An inbound WhatsApp message as stored content; types we do not model become a text placeholder. */
function inboundContent(m: Json): StoredContent {
  const type = String(m.type ?? 'unknown');
  if (type === 'text') return { kind: ContentKind.TEXT, body: text(obj(m.text).body) ?? '' };
  const mediaKind = INBOUND_MEDIA[type];
  if (mediaKind) {
    const media = obj(m[type]);
    return {
      kind: ContentKind.MEDIA,
      mediaKind,
      mediaId: null,
      url: null,
      mimeType: text(media.mime_type),
      filename: text(media.filename),
      caption: text(media.caption),
    };
  }
  if (type === 'button') return { kind: ContentKind.TEXT, body: text(obj(m.button).text) ?? '[button]' };
  if (type === 'interactive') {
    const i = obj(m.interactive);
    const reply = obj(i.button_reply ?? i.list_reply);
    return { kind: ContentKind.TEXT, body: text(reply.title) ?? '[interactive reply]' };
  }
  if (type === 'location') {
    const l = obj(m.location);
    return { kind: ContentKind.TEXT, body: `📍 ${[text(l.name), `${l.latitude},${l.longitude}`].filter(Boolean).join(' ')}` };
  }
  return { kind: ContentKind.TEXT, body: `[${type} message not supported]` };
}

/**
 * Translates a `whatsapp_business_account` webhook. Changes for another phone number than
 * `phoneNumberId` are skipped (one Meta app may serve several numbers).
 */
export function parseWhatsAppWebhook(rawBody: Buffer, phoneNumberId: string | null): NormalisedInboundEvent[] {
  let body: Json;
  try {
    body = obj(JSON.parse(rawBody.toString('utf8')));
  } catch {
    throw new WebhookPayloadError('body is not JSON');
  }
  if (!Array.isArray(body.entry)) throw new WebhookPayloadError('body.entry must be an array');
  const events: NormalisedInboundEvent[] = [];
  for (const entry of arr(body.entry)) {
    for (const change of arr(obj(entry).changes)) {
      const c = obj(change);
      if (c.field !== 'messages') continue;
      const value = obj(c.value);
      const number = text(obj(value.metadata).phone_number_id);
      if (phoneNumberId && number && number !== phoneNumberId) continue;
      const names = new Map(arr(value.contacts).map((k) => [String(obj(k).wa_id), text(obj(obj(k).profile).name)]));

      for (const raw of arr(value.messages)) {
        const m = obj(raw);
        const id = text(m.id);
        if (!id) throw new WebhookPayloadError('a message has no id');
        if (m.type === 'reaction') {
          const r = obj(m.reaction);
          const emoji = text(r.emoji);
          const reacted = text(r.message_id);
          if (!reacted) continue;
          events.push({
            type: 'reaction_received',
            providerEventId: id,
            channelMessageId: reacted,
            from: address(m.from),
            emoji,
            removed: emoji === null,
            occurredAt: unixTime(m.timestamp),
          });
          continue;
        }
        events.push({
          type: 'message_received',
          providerEventId: id,
          from: address(m.from),
          fromName: names.get(String(m.from)) ?? null,
          channelMessageId: id,
          content: inboundContent(m),
          replyToChannelMessageId: text(obj(m.context).id),
          occurredAt: unixTime(m.timestamp),
        });
      }

      for (const raw of arr(value.statuses)) {
        const s = obj(raw);
        const status = WA_STATUS[String(s.status)];
        const id = text(s.id);
        if (!status || !id) continue;
        const error = obj(arr(s.errors)[0]);
        events.push({
          type: 'status_changed',
          // A wamid goes through each status once, so wamid + status names the event.
          providerEventId: `${id}:${s.status}`,
          channelMessageId: id,
          messageId: text(s.biz_opaque_callback_data),
          status,
          failure:
            status === DeliveryStatus.FAILED
              ? {
                  code: error.code !== undefined ? `whatsapp_${error.code}` : 'failed',
                  reason:
                    [text(error.title) ?? text(error.message), text(obj(error.error_data).details)].filter(Boolean).join(': ') || 'failed',
                }
              : null,
          occurredAt: unixTime(s.timestamp),
        });
      }
    }
  }
  return events;
}
