import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { ContentKind, MediaKind } from '../../modules/message/content-kind';
import {
  WebhookPayloadError,
  type MessageReceivedEvent,
  type MessageThread,
  type SendFailure,
  type SendFailureKind,
} from '../channel-adapter';

/**
 * Email wire format: SMTP reply codes as send failures, the headers that thread a reply, and raw
 * RFC 822 messages (as inbound-mail services post them) as customer messages.
 */

/** SMTP replies with a meaning of their own (RFC 5321 §4.2.3); other codes fall back to their class. */
export type SmtpReplyCode = 421 | 450 | 451 | 452 | 535 | 550 | 551 | 553 | 554;

/**
 * What each SMTP reply means for a send. 421 and 451 are what submission servers answer when they
 * throttle (Gmail "421 4.7.0 … unusual rate", Microsoft "451 4.7.500 Server busy"): with a 4.7.x
 * enhanced status (RFC 3463: security or policy) or throttling words they slow the whole sender.
 */
export const SMTP_REPLIES: Readonly<Record<SmtpReplyCode, { kind: SendFailureKind; code: string; throttles: boolean }>> = {
  421: { kind: 'temporary', code: 'smtp_421_unavailable', throttles: true },
  450: { kind: 'temporary', code: 'smtp_450_mailbox_busy', throttles: false },
  451: { kind: 'temporary', code: 'smtp_451_local_error', throttles: true },
  452: { kind: 'temporary', code: 'smtp_452_insufficient_storage', throttles: false },
  535: { kind: 'auth', code: 'smtp_535_auth_failed', throttles: false },
  550: { kind: 'rejected', code: 'smtp_550_mailbox_unavailable', throttles: false },
  551: { kind: 'rejected', code: 'smtp_551_user_not_local', throttles: false },
  553: { kind: 'rejected', code: 'smtp_553_bad_mailbox_name', throttles: false },
  554: { kind: 'rejected', code: 'smtp_554_transaction_failed', throttles: false },
};

/** Words of throttling answers without a 4.7.x status ("421 Too many connections", "451 Rate limited"). */
const THROTTLE_WORDS = /rate|too many|throttl|try again later|slow down/i;

/** The send failure an SMTP reply means (pure). `response` is the server's whole reply line. */
export function smtpReplyFailure(replyCode: number, response: string): SendFailure {
  const reason = `The SMTP server answered: ${response.trim() || replyCode}`;
  const known = Object.hasOwn(SMTP_REPLIES, replyCode) ? SMTP_REPLIES[replyCode as SmtpReplyCode] : null;
  if (!known) {
    // RFC 5321: 4yz is transient, 5yz permanent, whatever the detail.
    const transient = replyCode >= 400 && replyCode < 500;
    return { kind: transient ? 'temporary' : 'rejected', code: `smtp_${replyCode}`, reason };
  }
  const enhanced = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})/.exec(response.trim())?.[1] ?? null;
  const throttling = known.throttles && ((enhanced?.startsWith('4.7.') ?? false) || THROTTLE_WORDS.test(response));
  return { kind: known.kind, code: known.code, reason, ...(throttling ? { rateLimited: true } : {}) };
}

/** The `Re:` subject of a reply, without stacking prefixes (`Re:`, and the German/Nordic `AW:`/`SV:`). */
export function replySubject(subject: string | null | undefined, fallback: string): string {
  const s = (subject ?? '').replace(/\s+/g, ' ').trim();
  if (!s) return fallback;
  return /^(re|aw|sv|antw)\s*:/i.test(s) ? s : `Re: ${s}`;
}

/** Longest References chain we carry: clients thread on the last few ids (RFC 5322 §3.6.4 allows trimming the middle). */
export const MAX_REFERENCES = 20;

/** `In-Reply-To` and `References` of a reply: the answered id last, the chain kept short. */
export function replyHeaders(
  thread: MessageThread | null | undefined,
  replyTo: string | null | undefined,
): { inReplyTo?: string; references?: string[] } {
  const references = [...(thread?.references ?? [])];
  if (replyTo && references.at(-1) !== replyTo) references.push(replyTo);
  const inReplyTo = replyTo ?? references.at(-1);
  if (!inReplyTo) return {};
  const chain = references.length > MAX_REFERENCES ? [references[0], ...references.slice(-(MAX_REFERENCES - 1))] : references;
  return { inReplyTo, references: chain };
}

/** Our Message-ID for an outbound message: the message id makes a resend carry the same one. */
export function outboundMessageId(messageId: string, senderAddress: string): string {
  const domain = /@([^@\s>]+)$/.exec(senderAddress.trim())?.[1] ?? 'switchboard.invalid';
  return `<${messageId}@${domain}>`;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A text body as minimal HTML: escaped, paragraphs and line breaks kept. */
export function textToHtml(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
  const paragraphs = escaped.split(/\n{2,}/).map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`);
  return `<!doctype html><html><body>${paragraphs.join('')}</body></html>`;
}

/**
 * Lines that start the quoted history in a reply: "On … wrote:" (Gmail, Apple Mail; Gmail may
 * wrap it over two lines), Outlook's "-----Original Message-----" and its From:/Sent: header block,
 * and the underscore rule Outlook on the web puts before it.
 */
const QUOTE_STARTS: readonly RegExp[] = [/^\s*On\b.{0,300}\bwrote:\s*$/i, /^\s*-{2,}\s*Original Message\s*-{2,}\s*$/i, /^\s*_{10,}\s*$/];

/**
 * The customer's new text without the quoted history: cut at the first quote start (an Outlook
 * `From:` only when a `Sent:`/`Date:` line follows) and drop `>` lines; trailing blank lines go too.
 */
export function stripQuotedHistory(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const twoLineOn =
      /^\s*On\b.{0,300}$/i.test(line) && /^\s*(\S.{0,200}\s)?wrote:\s*$/i.test(lines[i + 1] ?? '') && !/wrote:\s*$/i.test(line);
    const outlookFrom = /^\s*From:\s/i.test(line);
    if (outlookFrom ? /^\s*(Sent|Date):\s/i.test(lines[i + 1] ?? '') : QUOTE_STARTS.some((re) => re.test(line)) || twoLineOn) {
      end = i;
      break;
    }
  }
  const kept = lines.slice(0, end).filter((l) => !/^\s*>/.test(l));
  return kept
    .join('\n')
    .replace(/\s+$/, '')
    .replace(/^\s*\n/, '');
}

/**
 * The RFC 822 message in a webhook body: the body itself (`message/rfc822`, `text/plain`, the
 * "raw" post of Mailgun/Postmark-style services), or the `email` field of SendGrid Inbound Parse's
 * multipart form with "POST the raw, full MIME message" checked.
 */
export function rawMessageOf(body: Buffer, contentType: string | undefined): Buffer {
  const boundary = /^multipart\/form-data\s*;.*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType ?? '');
  if (!boundary) return body;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start, next);
    const split = part.indexOf('\r\n\r\n');
    if (split !== -1 && /content-disposition:[^\r\n]*\bname="?email"?(;|\s|\r|$)/i.test(part.subarray(0, split).toString('latin1'))) {
      // The part's content ends before the CRLF that precedes the next delimiter.
      return part.subarray(split + 4, part.length - 2);
    }
    at = next;
  }
  throw new WebhookPayloadError('The multipart form has no "email" field (enable "POST the raw, full MIME message").');
}

/** A MIME type's media kind as a first guess (the stored kind is sniffed from the bytes). */
function mediaKindOf(mimeType: string): MediaKind {
  if (mimeType.startsWith('image/')) return MediaKind.IMAGE;
  if (mimeType.startsWith('video/')) return MediaKind.VIDEO;
  if (mimeType.startsWith('audio/')) return MediaKind.AUDIO;
  return MediaKind.DOCUMENT;
}

function firstAddress(from: AddressObject | AddressObject[] | undefined): { address: string; name: string | null } | null {
  const value = (Array.isArray(from) ? from : from ? [from] : []).flatMap((a) => a.value)[0];
  return value?.address ? { address: value.address, name: value.name || null } : null;
}

/** The first `<id>` of a header that may hold several. */
function firstId(value: string | string[] | undefined): string | null {
  const raw = Array.isArray(value) ? value[0] : value;
  return /<[^<>\s]+>/.exec(raw ?? '')?.[0] ?? (raw?.trim() || null);
}

function idList(value: string | string[] | undefined): string[] {
  const raw = Array.isArray(value) ? value.join(' ') : (value ?? '');
  return raw.match(/<[^<>\s]+>/g) ?? [];
}

/** The longest text we store from one email (the channel's limit). */
const MAX_TEXT = 100_000;

/**
 * A raw RFC 822 message as customer messages: the text (quoted history trimmed) under the email's
 * Message-ID, then one media event per attachment under `<id>#<n>`. Every event carries the
 * email's thread (subject, References + its own id) so a reply to any of them threads. An email
 * without a Message-ID gets one from its bytes, so a redelivery is recognised.
 * @throws WebhookPayloadError for a body that is not an email with a sender
 */
export async function parseInboundEmail(raw: Buffer, now = new Date()): Promise<MessageReceivedEvent[]> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });
  } catch (err) {
    throw new WebhookPayloadError(`The body is not a MIME message: ${err instanceof Error ? err.message : String(err)}`);
  }
  const from = firstAddress(mail.from);
  if (!from) throw new WebhookPayloadError('The email has no From address.');
  const messageId = firstId(mail.messageId) ?? `<${createHash('sha256').update(raw).digest('hex')}@switchboard.invalid>`;
  const thread: MessageThread = {
    subject: mail.subject?.trim() || null,
    references: [...idList(mail.references).filter((id) => id !== messageId), messageId].slice(-MAX_REFERENCES),
  };
  const base = {
    type: 'message_received' as const,
    from: from.address,
    fromName: from.name,
    replyToChannelMessageId: firstId(mail.inReplyTo),
    occurredAt: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : now,
  };
  // mailparser turns an HTML-only email into text (blockquotes become "> " lines, which are trimmed).
  const text = stripQuotedHistory(mail.text ?? '').slice(0, MAX_TEXT);
  // Inline parts of the HTML (logos, signature images) are layout, not files the customer sent.
  const files = mail.attachments.filter((a) => !(a.related && a.contentDisposition === 'inline'));
  const events: MessageReceivedEvent[] = [];
  if (text || files.length === 0) {
    const body = text || thread.subject || '(empty email)';
    events.push({ ...base, providerEventId: messageId, channelMessageId: messageId, content: { kind: ContentKind.TEXT, body }, thread });
  }
  files.forEach((file, i) => {
    // With no text the first file is the email itself, so a reply naming its Message-ID finds it.
    const id = events.length === 0 && i === 0 ? messageId : `${messageId}#${i + 1}`;
    const mimeType = (file.contentType || 'application/octet-stream').toLowerCase();
    const filename = file.filename ?? null;
    events.push({
      ...base,
      providerEventId: id,
      channelMessageId: id,
      content: { kind: ContentKind.MEDIA, mediaKind: mediaKindOf(mimeType), mimeType, filename, caption: null },
      thread,
      media: { data: file.content, mimeType, filename },
    });
  });
  return events;
}
