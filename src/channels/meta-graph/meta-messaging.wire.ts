import { ContentKind, MediaKind } from '../../modules/message/content-kind';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import type { Card, CardAction, StoredContent } from '../../modules/message/message-content';
import { WebhookPayloadError, type NormalisedInboundEvent, type SendFailure, type SendFailureKind } from '../channel-adapter';
import { arr, jsonBody, obj, str, type Json } from '../webhook-json';

/**
 * The Messenger Platform wire format, shared by Messenger and Instagram Messaging (Instagram is
 * served by the same Send API and the same `entry[].messaging[]` webhooks). Sources: Meta's
 * Messenger Platform docs "Send API" (`POST /{page-id}/messages`: recipient, messaging_type, tag,
 * message), "Message tags" (HUMAN_AGENT, 7 days), "Generic template", "Quick replies", the webhook
 * event references (messages, message_deliveries, message_reads, message_reactions, message_echoes)
 * and the Instagram Platform "Webhook notification examples" and "Send a message" pages.
 */

/** A Graph API error body: `{ error: { message, type, code, error_subcode, fbtrace_id } }`. */
export interface GraphErrorBody {
  error?: { message?: string; type?: string; code?: number; error_subcode?: number };
}

/** A Send API request body. */
export type MetaSendBody = {
  recipient: { id: string };
  messaging_type: 'RESPONSE' | 'MESSAGE_TAG';
  tag?: 'HUMAN_AGENT';
  message: Record<string, unknown>;
};

/** What one channel allows in the Send API (Instagram's templates have no call buttons). */
export interface MetaMessagingDialect {
  /** Human name in reasons ("Messenger", "Instagram"). */
  name: string;
  /** Button types the generic template takes on this channel. */
  buttons: ReadonlySet<CardAction['type']>;
}

const HOUR = 3_600_000;
/** Standard messaging window: RESPONSE messages within 24 h of the customer's last message. */
export const RESPONSE_WINDOW_MS = 24 * HOUR;
/** HUMAN_AGENT tag: a human may answer within 7 days of the customer's last message. */
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR;

/**
 * How a reply goes out given when the customer last wrote: RESPONSE inside 24 h, the HUMAN_AGENT
 * tag inside 7 days, otherwise no way at all (null). Unknown (the contract suite, old rows) is
 * sent as RESPONSE and left to Meta, which refuses it with 10/2018278 if the window is shut.
 */
export function messagingType(lastInboundAt: Date | null | undefined, now: Date): Pick<MetaSendBody, 'messaging_type' | 'tag'> | null {
  if (!lastInboundAt) return { messaging_type: 'RESPONSE' };
  const age = now.getTime() - lastInboundAt.getTime();
  if (age <= RESPONSE_WINDOW_MS) return { messaging_type: 'RESPONSE' };
  if (age <= HUMAN_AGENT_WINDOW_MS) return { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' };
  return null;
}

/** Our media kinds as Send API attachment types (the Send API has no sticker or document type). */
const ATTACHMENT_TYPES: Readonly<Record<MediaKind, 'image' | 'video' | 'audio' | 'file'>> = {
  [MediaKind.IMAGE]: 'image',
  [MediaKind.VIDEO]: 'video',
  [MediaKind.AUDIO]: 'audio',
  [MediaKind.DOCUMENT]: 'file',
  [MediaKind.STICKER]: 'image',
};

/** Documented limits of quick replies and the generic template. */
const MAX_QUICK_REPLIES = 13;
const MAX_QUICK_REPLY_TITLE = 20;
const MAX_ELEMENTS = 10;
const MAX_BUTTONS = 3;
const MAX_TITLE = 80;

/** One Send API `message` object (or several, for a captioned file: the caption goes as text first), or why it cannot be sent. */
export function toMetaMessages(
  content: StoredContent,
  dialect: MetaMessagingDialect,
  mediaUrl: (mediaId: string) => string | null,
): Record<string, unknown>[] | string {
  switch (content.kind) {
    case ContentKind.TEXT:
      return [{ text: content.body }];
    case ContentKind.MEDIA: {
      const url = content.url ?? (content.mediaId ? mediaUrl(content.mediaId) : null);
      if (!url) return `${dialect.name} needs a URL it can download the file from (no public URL is configured for uploads)`;
      const attachment = { attachment: { type: ATTACHMENT_TYPES[content.mediaKind], payload: { url, is_reusable: true } } };
      // Attachments carry no caption on the Send API, so the caption is its own text message.
      return content.caption ? [{ text: content.caption }, attachment] : [attachment];
    }
    case ContentKind.RICH: {
      const rich = richMessage(content.cards, dialect);
      return typeof rich === 'string' ? rich : [rich];
    }
    case ContentKind.TEMPLATE:
      return `${dialect.name} has no pre-approved templates; send text or rich content`;
    case ContentKind.NOTE:
      return 'internal notes are never sent';
  }
}

/**
 * Rich content: one card whose actions are all replies becomes text with quick replies; anything
 * else becomes a generic template (one element per card, buttons postback/web_url/phone_number).
 */
function richMessage(cards: Card[], dialect: MetaMessagingDialect): Record<string, unknown> | string {
  if (cards.length === 0) return 'rich content needs at least one card';
  const [first] = cards;
  const quickText = first.body?.text ?? first.header?.title;
  if (
    cards.length === 1 &&
    first.actions.length > 0 &&
    first.actions.every((a) => a.type === 'reply') &&
    !first.header?.mediaUrl &&
    quickText
  ) {
    if (first.actions.length > MAX_QUICK_REPLIES) return `${dialect.name} shows at most ${MAX_QUICK_REPLIES} quick replies`;
    const tooLong = first.actions.find((a) => [...a.label].length > MAX_QUICK_REPLY_TITLE);
    if (tooLong) return `quick reply "${tooLong.label}" is longer than ${MAX_QUICK_REPLY_TITLE} characters`;
    return { text: quickText, quick_replies: first.actions.map((a) => ({ content_type: 'text', title: a.label, payload: a.value })) };
  }
  if (cards.length > MAX_ELEMENTS) return `${dialect.name} shows at most ${MAX_ELEMENTS} cards`;
  const elements: Record<string, unknown>[] = [];
  for (const card of cards) {
    const title = card.header?.title ?? card.body?.text;
    if (!title) return 'every card needs a title or a body text';
    if ([...title].length > MAX_TITLE) return `card title "${title.slice(0, 20)}…" is longer than ${MAX_TITLE} characters`;
    if (card.actions.length > MAX_BUTTONS) return `${dialect.name} cards have at most ${MAX_BUTTONS} buttons`;
    const unsupported = card.actions.find((a) => !dialect.buttons.has(a.type));
    if (unsupported) return `${dialect.name} cards cannot carry ${unsupported.type} buttons`;
    const subtitle = card.header?.title ? card.body?.text : null;
    elements.push({
      title,
      ...(subtitle ? { subtitle } : card.footer?.text ? { subtitle: card.footer.text } : {}),
      ...(card.header?.mediaUrl ? { image_url: card.header.mediaUrl } : {}),
      ...(card.actions.length ? { buttons: card.actions.map(button) } : {}),
    });
  }
  return { attachment: { type: 'template', payload: { template_type: 'generic', elements } } };
}

/** Card actions as template buttons; exhaustive over action types. */
function button(a: CardAction): Record<string, unknown> {
  switch (a.type) {
    case 'reply':
      return { type: 'postback', title: a.label, payload: a.value };
    case 'link':
      return { type: 'web_url', title: a.label, url: a.value };
    case 'call':
      return { type: 'phone_number', title: a.label, payload: a.value };
  }
}

/** What a Graph error code means for the send. `rateLimited` marks throttling of the whole page/account. */
interface ErrorRule {
  kind: SendFailureKind;
  rateLimited?: true;
}

/**
 * Send API error codes (`code` or `code/error_subcode`; the subcode entry wins). Sources: Messenger
 * Platform "Error codes" and Graph API "Handling errors" (rate limits 4, 17, 32, 613). Anything
 * unlisted falls back on the HTTP status.
 */
const ERROR_RULES: Readonly<Record<string, ErrorRule>> = {
  '10/2018278': { kind: 'window_closed' }, // message sent outside the allowed window
  '10/2018065': { kind: 'window_closed' }, // tag not allowed for this message / outside the tag's window
  '10/2534022': { kind: 'window_closed' }, // Instagram: outside of allowed window
  '10': { kind: 'auth' }, // application does not have permission for this action
  '200': { kind: 'auth' }, // permissions error
  '230': { kind: 'auth' }, // requires pages_messaging permission
  '190': { kind: 'auth' }, // access token expired, revoked or invalid
  '551': { kind: 'rejected' }, // this person isn't available right now
  '100/2018001': { kind: 'rejected' }, // no matching user found
  '100/2018109': { kind: 'rejected' }, // attachment size exceeds the limit
  '100/2534014': { kind: 'rejected' }, // Instagram: user not found
  '100': { kind: 'rejected' }, // invalid parameter
  '368': { kind: 'rejected' }, // temporarily blocked for policy violations
  '4': { kind: 'temporary', rateLimited: true }, // application request limit reached
  '17': { kind: 'temporary', rateLimited: true }, // user request limit reached
  '32': { kind: 'temporary', rateLimited: true }, // page request limit reached
  '613': { kind: 'temporary', rateLimited: true }, // calls within one hour exceeded (Send API throttling)
  '1200': { kind: 'temporary' }, // temporary send message failure
  '2': { kind: 'temporary' }, // service temporarily unavailable
  '1': { kind: 'temporary' }, // unknown error
};

/** Translates a refused Send API call (HTTP status, Graph error body, Retry-After) into a failure. */
export function metaSendFailure(name: string, httpStatus: number, body: GraphErrorBody | null, retryAfter: string | null): SendFailure {
  const err = body?.error;
  const code = typeof err?.code === 'number' ? err.code : null;
  const sub = typeof err?.error_subcode === 'number' ? err.error_subcode : null;
  const rule = code === null ? undefined : ((sub !== null ? ERROR_RULES[`${code}/${sub}`] : undefined) ?? ERROR_RULES[String(code)]);
  // As with WhatsApp: Meta does not promise a 5xx means "not accepted", so a 5xx is uncertain.
  const uncertain = httpStatus >= 500;
  const kind: SendFailureKind = uncertain
    ? 'temporary'
    : (rule?.kind ?? (httpStatus === 429 ? 'temporary' : httpStatus === 401 || httpStatus === 403 ? 'auth' : 'rejected'));
  const rateLimited = rule?.rateLimited === true || httpStatus === 429;
  const seconds = retryAfter !== null ? Number(retryAfter) : NaN;
  return {
    kind,
    code: code !== null ? `meta_${code}${sub !== null ? `_${sub}` : ''}` : `http_${httpStatus}`,
    reason: err?.message || `${name} answered HTTP ${httpStatus}`,
    ...(uncertain ? { uncertain: true } : {}),
    ...(kind === 'temporary' && rateLimited ? { rateLimited: true } : {}),
    ...(kind === 'temporary' && Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}),
  };
}

/** Webhook attachment types as our media kinds; unlisted types (location, fallback, share…) become a text placeholder. */
const INBOUND_ATTACHMENTS: Readonly<Record<string, MediaKind>> = {
  image: MediaKind.IMAGE,
  video: MediaKind.VIDEO,
  audio: MediaKind.AUDIO,
  file: MediaKind.DOCUMENT,
};

/** Messenger timestamps and watermarks are epoch milliseconds. */
function epochMs(v: unknown): Date | null {
  const ms = Number(v);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : null;
}

/** What {@link parseMetaMessagingWebhook} needs to know about the inbox. */
export interface MetaWebhookScope {
  /** `object` of the webhooks of this channel (`page`, `instagram`). */
  object: string;
  /** Our page / IG account id: entries for another one are skipped (one app may serve several). */
  accountId: string | null;
}

/**
 * Translates a Messenger-Platform webhook (`{ object, entry: [{ id, time, messaging: [...] }] }`).
 * Echoes of our own sends and events the product does not use are dropped. Provider event ids
 * are stable per event: message id + kind; watermarks: sender + kind + watermark.
 */
export function parseMetaMessagingWebhook(rawBody: Buffer, scope: MetaWebhookScope): NormalisedInboundEvent[] {
  const body = jsonBody(rawBody);
  if (!Array.isArray(body.entry)) throw new WebhookPayloadError('body.entry must be an array');
  if (body.object !== scope.object) return [];
  const events: NormalisedInboundEvent[] = [];
  for (const rawEntry of arr(body.entry)) {
    const entry = obj(rawEntry);
    const entryId = str(entry.id) ?? (typeof entry.id === 'number' ? String(entry.id) : null);
    if (scope.accountId && entryId && entryId !== scope.accountId) continue;
    for (const raw of arr(entry.messaging)) events.push(...messagingEvents(obj(raw)));
  }
  return events;
}

function messagingEvents(m: Json): NormalisedInboundEvent[] {
  const sender = str(obj(m.sender).id);
  if (!sender) throw new WebhookPayloadError('a messaging event has no sender.id');
  const occurredAt = epochMs(m.timestamp) ?? new Date();
  if (m.message) {
    const message = obj(m.message);
    if (message.is_echo === true) return [];
    const mid = str(message.mid);
    if (!mid) throw new WebhookPayloadError('a message has no mid');
    if (message.is_deleted === true || message.is_unsupported === true) return [];
    const replyTo = str(obj(message.reply_to).mid);
    const base = { type: 'message_received' as const, from: sender, replyToChannelMessageId: replyTo, occurredAt };
    const events: NormalisedInboundEvent[] = [];
    const text = str(message.text);
    const attachments = arr(message.attachments).map(obj);
    if (text)
      events.push({ ...base, providerEventId: `${mid}:message`, channelMessageId: mid, content: { kind: ContentKind.TEXT, body: text } });
    attachments.forEach((a, i) => {
      // A message may carry several files; the first without text keeps the mid, the rest get their own ids.
      const channelMessageId = events.length === 0 ? mid : `${mid}#${i}`;
      const providerEventId = `${channelMessageId}:message`;
      const type = String(a.type ?? 'unknown');
      const payload = obj(a.payload);
      const url = str(payload.url);
      const mediaKind = INBOUND_ATTACHMENTS[type] ?? (payload.sticker_id !== undefined ? MediaKind.STICKER : undefined);
      if (mediaKind && url) {
        events.push({
          ...base,
          providerEventId,
          channelMessageId,
          content: { kind: ContentKind.MEDIA, mediaKind, mediaId: null, url: null, mimeType: null, filename: null, caption: null },
          media: { ref: url },
        });
      } else {
        const title = str(payload.title) ?? str(a.title);
        events.push({
          ...base,
          providerEventId,
          channelMessageId,
          content: { kind: ContentKind.TEXT, body: [`[${type}]`, title, url].filter(Boolean).join(' ') },
        });
      }
    });
    return events;
  }
  if (m.postback) {
    const postback = obj(m.postback);
    const mid = str(postback.mid) ?? `${sender}:${String(m.timestamp)}`;
    const title = str(postback.title) ?? str(postback.payload) ?? '[button]';
    return [
      {
        type: 'message_received',
        providerEventId: `${mid}:postback`,
        from: sender,
        channelMessageId: mid,
        content: { kind: ContentKind.TEXT, body: title },
        occurredAt,
      },
    ];
  }
  if (m.delivery) return statusEvents(sender, obj(m.delivery), DeliveryStatus.DELIVERED, occurredAt);
  if (m.read) return statusEvents(sender, obj(m.read), DeliveryStatus.READ, occurredAt);
  // Messenger's field is `message_reactions` and the event key `reaction`; accept both spellings.
  const reaction = m.reaction ?? m.message_reaction;
  if (reaction) {
    const r = obj(reaction);
    const mid = str(r.mid);
    if (!mid) return [];
    const removed = r.action === 'unreact';
    return [
      {
        type: 'reaction_received',
        // A reaction has no id of its own; the customer, the message and the time name it.
        providerEventId: `${mid}:reaction:${sender}:${String(m.timestamp)}:${removed ? 'unreact' : 'react'}`,
        channelMessageId: mid,
        from: sender,
        emoji: removed ? null : (str(r.emoji) ?? REACTION_EMOJI[String(r.reaction)] ?? null),
        removed,
        occurredAt,
      },
    ];
  }
  return [];
}

/** Reaction names Meta sends with (or instead of) the emoji. */
const REACTION_EMOJI: Readonly<Record<string, string>> = {
  love: '❤️',
  like: '👍',
  dislike: '👎',
  smile: '😆',
  wow: '😮',
  sad: '😢',
  angry: '😠',
};

/**
 * A `delivery` / `read`: Messenger gives a watermark (everything sent up to then), Instagram's
 * `read` names one message (`mid`); a delivery's `mids` are covered by its watermark.
 */
function statusEvents(sender: string, s: Json, status: DeliveryStatus, occurredAt: Date): NormalisedInboundEvent[] {
  const upTo = epochMs(s.watermark);
  if (upTo) {
    return [
      {
        type: 'status_watermark',
        providerEventId: `${sender}:${status}:${String(s.watermark)}`,
        address: sender,
        status,
        upTo,
        occurredAt,
      },
    ];
  }
  const mid = str(s.mid);
  if (mid) return [{ type: 'status_changed', providerEventId: `${mid}:${status}`, channelMessageId: mid, status, occurredAt }];
  return arr(s.mids)
    .map(str)
    .filter((id): id is string => id !== null)
    .map((id) => ({ type: 'status_changed' as const, providerEventId: `${id}:${status}`, channelMessageId: id, status, occurredAt }));
}
