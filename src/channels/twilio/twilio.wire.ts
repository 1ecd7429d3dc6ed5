import { createHmac } from 'node:crypto';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import { sameSecret } from '../../lib/same-secret';
import { ContentKind, MediaKind } from '../../modules/message/content-kind';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import type { StoredContent } from '../../modules/message/message-content';
import {
  WebhookPayloadError,
  type ConnectionTestResult,
  type MessageReceivedEvent,
  type NormalisedInboundEvent,
  type OptOutChange,
  type SendFailure,
  type SendFailureKind,
} from '../channel-adapter';

/**
 * Twilio Programmable Messaging wire format: form-encoded requests and webhooks, error codes and
 * message statuses. Pure: no I/O, so every rule here is tested by itself.
 * Sources: twilio.com/docs/messaging/api/message-resource (statuses), twilio.com/docs/api/errors,
 * twilio.com/docs/usage/security (X-Twilio-Signature), twilio-node src/webhooks/webhooks.ts.
 */

/** Query parameter of the per-message StatusCallback URL that carries our message id. */
export const MESSAGE_ID_PARAM = 'sb_mid';

/** Form parameters, each name with its values in the order sent (Twilio repeats `MediaUrl`). */
export type FormParams = Map<string, string[]>;

/** Parses an `application/x-www-form-urlencoded` body. */
export function parseForm(raw: Buffer | string): FormParams {
  const params: FormParams = new Map();
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
    const list = params.get(name);
    if (list) list.push(value);
    else params.set(name, [value]);
  }
  return params;
}

/** The first value of a form parameter, or null when absent or empty. */
export function formValue(params: FormParams, name: string): string | null {
  const v = params.get(name)?.[0];
  return v === undefined || v === '' ? null : v;
}

/**
 * The `X-Twilio-Signature` of a request: base64 HMAC-SHA1 (auth token as key) of the full URL
 * Twilio called, followed by every POST parameter sorted by name, name and value concatenated
 * (repeated names: their distinct values sorted), exactly as twilio-node's
 * `getExpectedTwilioSignature` computes it.
 */
export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  let data = url;
  for (const name of [...params.keys()].sort()) {
    for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/**
 * Whether `given` signs the request, tried as twilio-node's `validateRequest` tries it: Twilio's
 * back end is not consistent about the port or the query's escaping, so the URL is checked without
 * its port and with the scheme's default port added (one with an explicit port also as it is),
 * each with the query as WHATWG URL escapes it and as Node's legacy querystring does (`'` left as is).
 */
export function validTwilioSignature(authToken: string, given: string | undefined, url: string, params: FormParams): boolean {
  if (!authToken || !given) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const ported = [withoutPort(parsed), withPort(parsed)];
  const candidates = new Set([...ported, ...ported.map(withLegacyQuery)]);
  for (const candidate of candidates) if (sameSecret(given, twilioSignature(authToken, candidate, params))) return true;
  return false;
}

function withoutPort(url: URL): string {
  const copy = new URL(url);
  copy.port = '';
  return copy.toString();
}

/** As twilio-node's `withLegacyQuerystring`: the query re-serialised by Node's querystring module. */
function withLegacyQuery(url: string): string {
  const parsed = new URL(url);
  if (!parsed.search) return url;
  const query = stringifyQuery(parseQuery(parsed.search.slice(1)));
  parsed.search = '';
  return `${parsed.toString()}?${query}`;
}

/** As twilio-node's `addPort`: the scheme's default port written out when none is given. */
function withPort(url: URL): string {
  if (url.port) return url.toString();
  const port = url.protocol === 'https:' ? ':443' : ':80';
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${url.protocol}//${auth}${url.host}${port}${url.pathname}${url.search}${url.hash}`;
}

/** What a Twilio error code means for a send: its failure kind and our stable code. */
interface TwilioErrorRule {
  kind: SendFailureKind;
  code: string;
  reason: string;
}

/**
 * Twilio error codes we act on (twilio.com/docs/api/errors). Send answers (21xxx, 20xxx) and
 * status callbacks (30xxx, `ErrorCode`) share it; a code not listed falls back to the HTTP status.
 */
export const TWILIO_ERRORS: Readonly<Record<number, TwilioErrorRule>> = {
  20003: { kind: 'auth', code: 'auth', reason: 'Twilio refused the credentials (20003 authentication failed).' },
  20404: { kind: 'auth', code: 'not_found', reason: 'Twilio does not know this account or resource (20404).' },
  20429: { kind: 'temporary', code: 'rate_limited', reason: 'Twilio is throttling this account (20429 too many requests).' },
  21211: { kind: 'rejected', code: 'invalid_number', reason: "The 'To' number is not a valid phone number (21211)." },
  21408: { kind: 'rejected', code: 'region_disabled', reason: 'The account may not send to this region (21408).' },
  21606: { kind: 'auth', code: 'invalid_sender', reason: "The 'From' number is not a valid SMS sender of this account (21606)." },
  21610: { kind: 'rejected', code: 'opted_out', reason: 'The recipient replied STOP: Twilio refuses to message them (21610).' },
  21611: { kind: 'temporary', code: 'queue_full', reason: "The sender's queue is full (21611)." },
  21612: { kind: 'rejected', code: 'unroutable', reason: 'Twilio cannot route this message to that number (21612).' },
  21614: { kind: 'rejected', code: 'invalid_number', reason: "The 'To' number is not a mobile number (21614)." },
  21617: { kind: 'rejected', code: 'too_long', reason: 'The body exceeds 1600 characters (21617).' },
  21620: { kind: 'rejected', code: 'invalid_media', reason: 'A media URL is invalid (21620).' },
  30001: { kind: 'temporary', code: 'queue_overflow', reason: 'Twilio dropped the message: queue overflow (30001).' },
  30002: { kind: 'auth', code: 'account_suspended', reason: 'The Twilio account is suspended (30002).' },
  30003: { kind: 'rejected', code: 'unreachable', reason: 'The handset is unreachable (30003): switched off or out of coverage.' },
  30004: { kind: 'rejected', code: 'blocked', reason: 'The message was blocked by the recipient or their carrier (30004).' },
  30005: { kind: 'rejected', code: 'unknown_number', reason: 'The number is unknown or no longer in service (30005).' },
  30006: { kind: 'rejected', code: 'landline', reason: 'The number is a landline or its carrier cannot take SMS (30006).' },
  30007: { kind: 'rejected', code: 'carrier_filtered', reason: 'The carrier filtered the message as spam (30007).' },
  30008: { kind: 'rejected', code: 'delivery_unknown', reason: 'The carrier reported an unknown delivery error (30008).' },
};

/** Twilio's JSON error body (`{ code, message, more_info, status }`). */
export interface TwilioErrorBody {
  code?: number;
  message?: string;
  more_info?: string;
  status?: number;
}

/**
 * A refused send, classified: a listed code decides; otherwise 429 is a rate limit, 401/403 auth,
 * other 4xx rejected and 5xx temporary *and uncertain* (Messages has no idempotency key, and Twilio
 * does not promise that a 5xx means the message was not queued).
 */
export function twilioFailure(httpStatus: number, body: TwilioErrorBody | null, retryAfter: string | null): SendFailure {
  const code = typeof body?.code === 'number' ? body.code : null;
  const rule = code !== null ? TWILIO_ERRORS[code] : undefined;
  const uncertain = httpStatus >= 500;
  const rateLimited = httpStatus === 429 || code === 20429;
  const kind: SendFailureKind = uncertain
    ? 'temporary'
    : (rule?.kind ?? (rateLimited ? 'temporary' : httpStatus === 401 || httpStatus === 403 ? 'auth' : 'rejected'));
  const said = body?.message ? `Twilio said: ${body.message}` : `Twilio answered HTTP ${httpStatus}.`;
  const seconds = retryAfter !== null ? Number(retryAfter) : NaN;
  return {
    kind,
    code: rule?.code ?? (rateLimited ? 'rate_limited' : code !== null ? `twilio_${code}` : `http_${httpStatus}`),
    reason: rule ? `${rule.reason} ${said}` : said,
    ...(uncertain ? { uncertain: true } : {}),
    ...(rateLimited ? { rateLimited: true } : {}),
    ...(kind === 'temporary' && Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}),
  };
}

/** A status callback's failure (`ErrorCode`, `ErrorMessage`) as stored on a FAILED message. */
export function statusFailure(errorCode: string | null, errorMessage: string | null): { code: string; reason: string } {
  const n = errorCode !== null ? Number(errorCode) : NaN;
  const rule = Number.isInteger(n) ? TWILIO_ERRORS[n] : undefined;
  if (rule) return { code: rule.code, reason: rule.reason };
  return {
    code: Number.isInteger(n) ? `twilio_${n}` : 'failed',
    reason: errorMessage ?? (Number.isInteger(n) ? `Twilio reported error ${n}.` : 'Twilio reported the message as failed.'),
  };
}

/** Every `MessageStatus` value the Message resource documents. */
export type TwilioMessageStatus =
  | 'accepted'
  | 'scheduled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'partially_delivered'
  | 'delivered'
  | 'read'
  | 'undelivered'
  | 'failed'
  | 'canceled'
  | 'receiving'
  | 'received';

/**
 * Every Twilio `MessageStatus`, onto our status machine; null = not about a message we sent
 * (`receiving`/`received` are inbound). Twilio holding the message (accepted, queued, scheduled,
 * sending) is SENT for us: it is out of our hands and will not be sent again.
 */
export const TWILIO_STATUS: Readonly<Record<TwilioMessageStatus, DeliveryStatus | null>> = {
  accepted: DeliveryStatus.SENT,
  scheduled: DeliveryStatus.SENT,
  queued: DeliveryStatus.SENT,
  sending: DeliveryStatus.SENT,
  sent: DeliveryStatus.SENT,
  // Some segments arrived and others not: not proof of delivery, so no progress past SENT.
  partially_delivered: DeliveryStatus.SENT,
  delivered: DeliveryStatus.DELIVERED,
  read: DeliveryStatus.READ,
  undelivered: DeliveryStatus.FAILED,
  failed: DeliveryStatus.FAILED,
  canceled: DeliveryStatus.FAILED,
  receiving: null,
  received: null,
};

/**
 * Twilio's default opt-out keywords (whole message, any case); Twilio itself then blocks the
 * number for that sender (support.twilio.com "Twilio support for opt-out keywords").
 */
const OPT_OUT_KEYWORDS: Readonly<Record<string, OptOutChange | 'help'>> = {
  stop: 'stop',
  stopall: 'stop',
  unsubscribe: 'stop',
  cancel: 'stop',
  end: 'stop',
  quit: 'stop',
  start: 'start',
  yes: 'start',
  unstop: 'start',
  help: 'help',
  info: 'help',
};

/** What an inbound text does to the customer's opt-out (HELP and anything else: nothing). */
export function optOutOf(body: string | null, optOutType: string | null): OptOutChange | null {
  // Advanced Opt-Out (messaging services) names the keyword type, including custom keywords.
  const typed = optOutType?.toLowerCase();
  if (typed === 'stop' || typed === 'start') return typed;
  const keyword = OPT_OUT_KEYWORDS[(body ?? '').trim().toLowerCase()];
  return keyword === 'stop' || keyword === 'start' ? keyword : null;
}

/** The media kind of a declared content type (MediaContentTypeN). */
export function mediaKindOf(mimeType: string | null): MediaKind {
  const top = (mimeType ?? '').split('/')[0].toLowerCase();
  return top === 'image' ? MediaKind.IMAGE : top === 'video' ? MediaKind.VIDEO : top === 'audio' ? MediaKind.AUDIO : MediaKind.DOCUMENT;
}

/** The form of a Messages API create request, or the reason the content cannot go by SMS/MMS. */
export function toTwilioForm(
  content: StoredContent,
  opts: {
    to: string;
    from: string | null;
    messagingServiceSid: string | null;
    statusCallback: string;
    mediaUrl: (mediaId: string) => string | null;
  },
): URLSearchParams | string {
  const form = new URLSearchParams();
  form.set('To', opts.to);
  if (opts.messagingServiceSid) form.set('MessagingServiceSid', opts.messagingServiceSid);
  else if (opts.from) form.set('From', opts.from);
  else return 'the inbox has no sender number and no messaging service';
  switch (content.kind) {
    case ContentKind.TEXT:
      form.set('Body', content.body);
      break;
    case ContentKind.MEDIA: {
      const url = content.mediaId ? opts.mediaUrl(content.mediaId) : (content.url ?? null);
      if (!url) return 'uploaded media needs PUBLIC_URL so Twilio can fetch it';
      form.set('MediaUrl', url);
      if (content.caption) form.set('Body', content.caption);
      break;
    }
    case ContentKind.TEMPLATE:
    case ContentKind.RICH:
      return `SMS carries text and media only, not ${content.kind} content`;
    case ContentKind.NOTE:
      return 'internal notes are never sent';
  }
  form.set('StatusCallback', opts.statusCallback);
  return form;
}

/**
 * A verified webhook's events: a status callback (`MessageStatus`) becomes one status_changed; a
 * customer message one message_received, or one per file when it carries several (the text on the
 * first; later files get the MessageSid suffixed `-1`, `-2`…).
 * @param query the query string Twilio called (our per-message StatusCallback carries our id there)
 */
export function parseTwilioWebhook(rawBody: Buffer, query: URLSearchParams, now = new Date()): NormalisedInboundEvent[] {
  const p = parseForm(rawBody);
  const sid = formValue(p, 'MessageSid') ?? formValue(p, 'SmsSid');
  if (!sid) throw new WebhookPayloadError('the callback has no MessageSid');
  const status = (formValue(p, 'MessageStatus') ?? formValue(p, 'SmsStatus'))?.toLowerCase() ?? null;
  if (status !== null && status !== 'received' && status !== 'receiving') {
    // A status Twilio adds later is acknowledged and ignored rather than refused (it would redeliver).
    if (!Object.hasOwn(TWILIO_STATUS, status)) return [];
    const mapped = TWILIO_STATUS[status as TwilioMessageStatus];
    if (!mapped) return [];
    return [
      {
        type: 'status_changed',
        // Twilio has no event id: one message reaches each status once, so sid + status is stable.
        providerEventId: `${sid}:${status}`,
        channelMessageId: sid,
        messageId: query.get(MESSAGE_ID_PARAM),
        status: mapped,
        failure: mapped === DeliveryStatus.FAILED ? statusFailure(formValue(p, 'ErrorCode'), formValue(p, 'ErrorMessage')) : null,
        occurredAt: now,
      },
    ];
  }
  const from = formValue(p, 'From');
  if (!from) throw new WebhookPayloadError('the message has no From');
  const body = formValue(p, 'Body');
  const optOut = optOutOf(body, formValue(p, 'OptOutType'));
  const count = Math.min(Math.max(Number(formValue(p, 'NumMedia') ?? '0') || 0, 0), 10);
  const base = { type: 'message_received' as const, from, occurredAt: now };
  if (count === 0) {
    return [{ ...base, providerEventId: sid, channelMessageId: sid, content: { kind: ContentKind.TEXT, body: body ?? '' }, optOut }];
  }
  const events: MessageReceivedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const url = formValue(p, `MediaUrl${i}`);
    if (!url) throw new WebhookPayloadError(`NumMedia is ${count} but MediaUrl${i} is missing`);
    const mimeType = formValue(p, `MediaContentType${i}`);
    const id = i === 0 ? sid : `${sid}-${i}`;
    events.push({
      ...base,
      providerEventId: id,
      channelMessageId: id,
      content: { kind: ContentKind.MEDIA, mediaKind: mediaKindOf(mimeType), mediaId: null, mimeType, caption: i === 0 ? body : null },
      media: { ref: url, mimeType },
      optOut: i === 0 ? optOut : null,
    });
  }
  return events;
}

/** Reads Twilio's answer to the account lookup of a connection test (pure). */
export function twilioConnectionResult(
  status: number,
  body: (TwilioErrorBody & { friendly_name?: string; status?: unknown }) | null,
  accountSid: string,
): ConnectionTestResult {
  const said = body?.message ? ` Twilio said: ${body.message}` : '';
  if (status >= 200 && status < 300) {
    const name = typeof body?.friendly_name === 'string' ? ` (${body.friendly_name})` : '';
    return { status: 'ok', message: `Connected to Twilio account ${accountSid}${name}.` };
  }
  if (status === 401 || status === 403 || body?.code === 20003)
    return { status: 'bad_credentials', message: `Twilio refused the account SID and auth token.${said}` };
  if (status === 404 || body?.code === 20404) return { status: 'not_found', message: `Twilio does not know account ${accountSid}.${said}` };
  return { status: 'unreachable', message: `Twilio answered HTTP ${status}.${said}` };
}
