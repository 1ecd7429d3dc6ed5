import { ContentKind, MediaKind } from '../../modules/message/content-kind';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import type { StoredContent, TemplateParameter } from '../../modules/message/message-content';
import {
  WebhookPayloadError,
  type InboundMediaSource,
  type ProviderTemplate,
  type ProviderTemplateButton,
  type NormalisedInboundEvent,
  type SendFailure,
  type SendFailureKind,
} from '../channel-adapter';
import { arr, jsonBody, obj, str as text, type Json } from '../webhook-json';

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

/**
 * Meta media ids of the uploaded files a message names (our media id → Meta's), resolved by the
 * adapter before the body is built (uploaded once per inbox, see WhatsAppCloudAdapter).
 */
export type MetaMediaIds = ReadonlyMap<string, string>;

/** Our uploaded files a content names (media body or template media parameters), deduplicated. */
export function uploadedMediaIds(content: StoredContent): string[] {
  const ids: string[] = [];
  if (content.kind === ContentKind.MEDIA && !content.url && content.mediaId) ids.push(content.mediaId);
  if (content.kind === ContentKind.TEMPLATE)
    for (const c of content.components) for (const p of c.parameters) if (p.type === 'media' && !p.url && p.mediaId) ids.push(p.mediaId);
  return [...new Set(ids)];
}

/** `{ link }` for external media, `{ id }` for an upload Meta holds, or why neither is there. */
function mediaObject(
  ref: { url?: string | null; mediaId?: string | null },
  metaIds: MetaMediaIds | undefined,
): Record<string, unknown> | string {
  if (ref.url) return { link: ref.url };
  const id = ref.mediaId ? metaIds?.get(ref.mediaId) : undefined;
  if (id) return { id };
  return ref.mediaId ? `media ${ref.mediaId} was not uploaded to WhatsApp` : 'media needs an uploaded file (mediaId) or an https URL';
}

function templateParameter(p: TemplateParameter, metaIds: MetaMediaIds | undefined): Record<string, unknown> | string {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text };
    case 'currency':
      return { type: 'currency', currency: { fallback_value: p.fallbackValue, code: p.code, amount_1000: p.amount1000 } };
    case 'date_time':
      return { type: 'date_time', date_time: { fallback_value: p.fallbackValue } };
    case 'media': {
      const media = mediaObject(p, metaIds);
      if (typeof media === 'string') return `template media parameter: ${media}`;
      return { type: MEDIA_TYPES[p.mediaKind], [MEDIA_TYPES[p.mediaKind]]: media };
    }
  }
}

/**
 * Our stored content as a Cloud API message body, or the reason it cannot be sent.
 * `to` is E.164; WhatsApp wants the digits only.
 */
export function toWhatsAppBody(
  content: StoredContent,
  to: string,
  opts: { replyTo?: string | null; callbackData?: string; metaMediaIds?: MetaMediaIds } = {},
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
      const type = MEDIA_TYPES[content.mediaKind];
      const media = mediaObject(content, opts.metaMediaIds);
      if (typeof media === 'string') return media;
      if (content.caption && !CAPTIONLESS.has(content.mediaKind)) media.caption = content.caption;
      if (content.mediaKind === MediaKind.DOCUMENT && content.filename) media.filename = content.filename;
      return { ...base, type, [type]: media };
    }
    case ContentKind.TEMPLATE: {
      const components: Record<string, unknown>[] = [];
      for (const c of content.components) {
        const parameters = c.parameters.map((p) => templateParameter(p, opts.metaMediaIds));
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

/** What one Graph API error code means for the send. */
interface WaErrorRule {
  kind: SendFailureKind;
  /** The limit is the sender's (phone number, account or app): every send of the inbox waits. */
  rateLimited?: true;
  /** Wait at least this long before trying again when Meta sends no Retry-After. */
  waitMs?: number;
}

/**
 * Graph API error codes, by what retrying would do. Sources: Meta's Cloud API "Error codes" page
 * (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes) and its "Throughput" page
 * for the rate limits: 130429 is the phone number's throughput (80 msg/s by default), 131056 the
 * pair rate (one business number → one customer, about 1 message per 6 s) and 131057 the account
 * in maintenance (a throughput upgrade: minutes). Codes not listed fall back to the HTTP status
 * (5xx/429 temporary, 401/403 auth, other 4xx rejected).
 */
const ERROR_RULES: Readonly<Record<number, WaErrorRule>> = {
  0: { kind: 'auth' }, // AuthException
  190: { kind: 'auth' }, // access token expired or revoked
  10: { kind: 'auth' }, // permission denied
  200: { kind: 'auth' },
  131031: { kind: 'auth' }, // business account locked
  131045: { kind: 'auth' }, // phone number not registered
  1: { kind: 'temporary' }, // API unknown
  2: { kind: 'temporary' }, // API service
  4: { kind: 'temporary', rateLimited: true }, // API too many calls (the app's call budget)
  80007: { kind: 'temporary', rateLimited: true }, // rate limit hit (the WhatsApp Business Account's)
  130429: { kind: 'temporary', rateLimited: true }, // throughput exceeded: the phone number's, every send waits
  131057: { kind: 'temporary', rateLimited: true, waitMs: 60_000 }, // account in maintenance mode (throughput upgrade)
  131056: { kind: 'temporary', waitMs: 6_000 }, // pair rate limit: only this recipient waits (~1 message per 6 s)
  131048: { kind: 'temporary', rateLimited: true }, // spam rate limit: the number's sends were restricted
  131000: { kind: 'temporary' }, // something went wrong
  131016: { kind: 'temporary' }, // service unavailable
  133004: { kind: 'temporary' }, // server temporarily unavailable
  131047: { kind: 'window_closed' }, // re-engagement message: more than 24 hours since the customer wrote
  131051: { kind: 'unsupported' }, // unsupported message type
  131026: { kind: 'rejected' }, // message undeliverable (not on WhatsApp, old app, terms not accepted)
  131021: { kind: 'rejected' }, // recipient cannot be sender
  131049: { kind: 'rejected' }, // not delivered to maintain ecosystem health
  131052: { kind: 'rejected' }, // media download error
  131053: { kind: 'rejected' }, // media upload error
  100: { kind: 'rejected' }, // invalid parameter
  132000: { kind: 'rejected' }, // template parameter count mismatch
  132001: { kind: 'rejected' }, // template does not exist
  132012: { kind: 'rejected' }, // template parameter format mismatch
};

/** Our reasons where Meta's own message is vaguer than what the user needs to know. */
const REASONS: Readonly<Record<number, string>> = {
  131026: 'Message undeliverable: the number is not on WhatsApp, or its app is too old or has not accepted the terms',
};

/**
 * Translates a refused request (a send or a media upload: HTTP status, Graph error body,
 * Retry-After) into a failure.
 */
export function whatsAppFailure(httpStatus: number, body: WaErrorBody | null, retryAfter: string | null): SendFailure {
  const err = body?.error;
  const code = typeof err?.code === 'number' ? err.code : null;
  const rule = code !== null ? ERROR_RULES[code] : undefined;
  // Meta does not document that a 5xx means "not accepted" (and a gateway 5xx can front a request
  // that was), so whatever the body says a 5xx is uncertain; 4xx answers are definite refusals.
  const uncertain = httpStatus >= 500;
  const kind: SendFailureKind = uncertain
    ? 'temporary'
    : (rule?.kind ?? (httpStatus === 429 ? 'temporary' : httpStatus === 401 || httpStatus === 403 ? 'auth' : 'rejected'));
  const said = [err?.message, err?.error_data?.details].filter(Boolean).join(': ');
  const ours = code !== null ? REASONS[code] : undefined;
  const reason = (ours ? [ours, said].filter(Boolean).join(' — ') : said) || `WhatsApp answered HTTP ${httpStatus}`;
  const seconds = retryAfter !== null ? Number(retryAfter) : NaN;
  const waitMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : rule?.waitMs;
  return {
    kind,
    code: code !== null ? `whatsapp_${code}` : `http_${httpStatus}`,
    reason,
    ...(uncertain ? { uncertain: true } : {}),
    ...(kind === 'temporary' && waitMs !== undefined ? { retryAfterMs: waitMs } : {}),
    // A bare 429 (no code we know) throttles the caller, i.e. the whole sender.
    ...(kind === 'temporary' && (rule ? rule.rateLimited : httpStatus === 429) ? { rateLimited: true } : {}),
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

/** Where the file of an inbound media message is: Meta's media id, fetched by `GET /{media-id}`. */
function inboundMedia(m: Json): InboundMediaSource | null {
  const type = String(m.type ?? '');
  if (!INBOUND_MEDIA[type]) return null;
  const media = obj(m[type]);
  const ref = text(media.id);
  return ref ? { ref, mimeType: text(media.mime_type), filename: text(media.filename) } : null;
}

/**
 * Translates a `whatsapp_business_account` webhook. Changes for another phone number than
 * `phoneNumberId` are skipped (one Meta app may serve several numbers).
 */
export function parseWhatsAppWebhook(rawBody: Buffer, phoneNumberId: string | null): NormalisedInboundEvent[] {
  const body = jsonBody(rawBody);
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
        const media = inboundMedia(m);
        events.push({
          type: 'message_received',
          providerEventId: id,
          from: address(m.from),
          fromName: names.get(String(m.from)) ?? null,
          channelMessageId: id,
          content: inboundContent(m),
          ...(media ? { media } : {}),
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

/**
 * A reaction message: `emoji` on the customer's message `wamid`; an empty emoji takes ours back
 * (Cloud API "Reaction messages").
 */
export function toWhatsAppReaction(to: string, wamid: string, emoji: string | null): WaSendBody {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: to.replace(/^\+/, ''),
    type: 'reaction',
    reaction: { message_id: wamid, emoji: emoji ?? '' },
  };
}

/** Positional (`{{1}}`) and named (`{{first_name}}`) parameters of a template text. */
function placeholders(value: string | null): { count: number; named: string[] } {
  let count = 0;
  const named: string[] = [];
  for (const [, name] of (value ?? '').matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) {
    if (/^\d+$/.test(name)) count = Math.max(count, Number(name));
    else if (!named.includes(name)) named.push(name);
  }
  return { count, named };
}

/** Button types whose send needs a parameter whatever their text (Meta's template button reference). */
const BUTTON_TAKES_PARAMETER: Readonly<Record<string, boolean>> = {
  COPY_CODE: true, // the coupon code
  OTP: true, // the one-time password
};

function templateButton(raw: unknown): ProviderTemplateButton {
  const b = obj(raw);
  const type = String(b.type ?? 'UNKNOWN').toUpperCase();
  // A URL button takes a parameter when its URL ends in {{1}} (a dynamic suffix).
  const takesParameter =
    BUTTON_TAKES_PARAMETER[type] ?? (type === 'URL' && placeholders(text(b.url)).count + placeholders(text(b.url)).named.length > 0);
  return { type, text: text(b.text), takesParameter };
}

/**
 * Reads one page of `GET /{waba-id}/message_templates`: `{ data: [...], paging: { cursors: { after }, next } }`.
 * `after` is null on the last page (Meta leaves `next` out there).
 */
export function parseTemplatePage(body: unknown): { templates: ProviderTemplate[]; after: string | null } {
  const page = obj(body);
  if (!Array.isArray(page.data)) throw new Error('the template list has no data array');
  const templates = arr(page.data).flatMap((raw): ProviderTemplate[] => {
    const t = obj(raw);
    const name = text(t.name);
    if (!name) return [];
    return [
      {
        id: text(t.id),
        name,
        language: text(t.language) ?? '',
        category: text(t.category),
        status: text(t.status) ?? 'APPROVED',
        components: arr(t.components).map((rawC) => {
          const c = obj(rawC);
          const body = text(c.text);
          const { count, named } = placeholders(body);
          return {
            type: String(c.type ?? 'UNKNOWN').toUpperCase(),
            format: text(c.format)?.toUpperCase() ?? null,
            text: body,
            parameterCount: count,
            namedParameters: named,
            buttons: arr(c.buttons).map(templateButton),
          };
        }),
      },
    ];
  });
  const paging = obj(page.paging);
  const after = text(obj(paging.cursors).after);
  return { templates, after: text(paging.next) && after ? after : null };
}
