import { normalizePhone } from '../../lib/phone';
import { AppError, ErrorCode, type FieldViolation } from '../../lib/errors';
import { ChannelKind } from '../channel/channel-kind';
import {
  CHANNEL_RULES,
  fitsTextLimit,
  mediaLimit,
  segmentsForSms,
  supportedContentKinds,
  textLength,
  MB,
  KB,
} from '../channel/channel-rules';
import { ContentKind, type MediaKind } from './content-kind';
import type { Card, StoredContent, TemplateBody, TemplateParameter } from './message-content';

/**
 * Content rules for sending: pure functions from (channel, content) to violations. Two families,
 * reported with different codes because clients react differently:
 * - malformed content (empty body, http URL, bad template language…) is BAD_USER_INPUT, whatever
 *   the channel: fix the input;
 * - content the channel cannot carry (rich cards on WhatsApp, a 5 MB+ image, text over the limit)
 *   is UNSUPPORTED_CONTENT: send something else, or through another channel.
 * Every violation names the input field as the client wrote it (`input.content.text.body`).
 */

/** What the rules need to know about an uploaded file (its bytes decided both, not the client). */
export interface MediaFacts {
  readonly mimeType: string;
  readonly size: number;
}

/** The input field of each content variant (`input.content.<name>`). */
export const CONTENT_INPUT_FIELD: Readonly<Record<ContentKind, string>> = {
  [ContentKind.TEXT]: 'text',
  [ContentKind.MEDIA]: 'media',
  [ContentKind.TEMPLATE]: 'template',
  [ContentKind.RICH]: 'rich',
  [ContentKind.NOTE]: 'note',
};

const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
// ISO 639 language, optionally a region or script (en, pt_BR, zh_Hant); what WhatsApp accepts.
const TEMPLATE_LANGUAGE = /^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$/;
const CURRENCY_CODE = /^[A-Z]{3}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const MAX_URL_LENGTH = 2048;

function isBlank(text: string | null | undefined): boolean {
  return text == null || text.trim().length === 0;
}

function parseUrl(value: string, protocols: readonly string[]): URL | null {
  if (value.length > MAX_URL_LENGTH) return null;
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '' ? url : null;
  } catch {
    return null;
  }
}

/** Whether `value` is an absolute https URL (the only scheme we fetch media from). */
export function isHttpsUrl(value: string): boolean {
  return parseUrl(value, ['https:']) !== null;
}

// ---------------------------------------------------------------------------------------------
// Malformed content (channel-independent) → BAD_USER_INPUT
// ---------------------------------------------------------------------------------------------

function mediaRefProblems(ref: { mediaId?: string | null; url?: string | null }, path: string): FieldViolation[] {
  const problems: FieldViolation[] = [];
  const hasId = ref.mediaId != null;
  const hasUrl = ref.url != null;
  if (hasId === hasUrl) problems.push({ field: path, message: 'set exactly one of mediaId, url.' });
  if (hasUrl && !isHttpsUrl(ref.url!)) problems.push({ field: `${path}.url`, message: 'must be an absolute https URL.' });
  return problems;
}

function templateParameterProblems(
  p: TemplateParameter,
  path: string,
  component: TemplateBody['components'][number]['type'],
): FieldViolation[] {
  switch (p.type) {
    case 'text':
      return isBlank(p.text) ? [{ field: `${path}.text`, message: 'must not be empty.' }] : [];
    case 'currency': {
      const problems: FieldViolation[] = [];
      if (isBlank(p.fallbackValue)) problems.push({ field: `${path}.currency.fallbackValue`, message: 'must not be empty.' });
      if (!CURRENCY_CODE.test(p.code)) problems.push({ field: `${path}.currency.code`, message: 'must be an ISO 4217 code such as EUR.' });
      return problems;
    }
    case 'date_time': {
      const problems: FieldViolation[] = [];
      if (isBlank(p.fallbackValue)) problems.push({ field: `${path}.dateTime.fallbackValue`, message: 'must not be empty.' });
      if (p.isoDateTime != null && !(ISO_DATE_TIME.test(p.isoDateTime) && !Number.isNaN(Date.parse(p.isoDateTime)))) {
        problems.push({ field: `${path}.dateTime.isoDateTime`, message: 'must be an ISO 8601 date-time.' });
      }
      return problems;
    }
    case 'media':
      // Templates carry files in their header only; body and button placeholders are text.
      if (component !== 'header') return [{ field: `${path}.media`, message: 'media parameters are allowed in HEADER components only.' }];
      return mediaRefProblems(p, `${path}.media`);
  }
}

function templateProblems(t: TemplateBody, base: string): FieldViolation[] {
  const problems: FieldViolation[] = [];
  if (!TEMPLATE_NAME.test(t.name)) {
    problems.push({ field: `${base}.name`, message: 'must be the approved template name (lowercase letters, digits, underscores).' });
  }
  if (!TEMPLATE_LANGUAGE.test(t.language))
    problems.push({ field: `${base}.language`, message: 'must be a language code such as en or pt_BR.' });
  const seen = new Set<string>();
  t.components.forEach((c, i) => {
    const path = `${base}.components[${i}]`;
    if (c.type === 'button') {
      if (isBlank(c.subType))
        problems.push({ field: `${path}.subType`, message: 'is required for BUTTON components (quick_reply, url…).' });
      if (c.index == null || c.index < 0)
        problems.push({ field: `${path}.index`, message: 'is required for BUTTON components (0 or more).' });
    } else {
      if (c.subType != null) problems.push({ field: `${path}.subType`, message: 'is only for BUTTON components.' });
      if (c.index != null) problems.push({ field: `${path}.index`, message: 'is only for BUTTON components.' });
      if (c.type === 'header' && c.parameters.length > 1)
        problems.push({ field: `${path}.parameters`, message: 'a HEADER takes at most one parameter.' });
    }
    const identity = c.type === 'button' ? `button:${c.index}` : c.type;
    if (seen.has(identity)) problems.push({ field: path, message: `duplicates an earlier ${c.type.toUpperCase()} component.` });
    seen.add(identity);
    c.parameters.forEach((p, j) => problems.push(...templateParameterProblems(p, `${path}.parameters[${j}]`, c.type)));
  });
  return problems;
}

const ACTION_VALUE_CHECKS: Readonly<Record<Card['actions'][number]['type'], (value: string) => string | null>> = {
  reply: (v) => (isBlank(v) ? 'must not be empty.' : null),
  link: (v) => (parseUrl(v, ['https:', 'http:']) ? null : 'must be an absolute http(s) URL.'),
  call: (v) => (normalizePhone(v) ? null : 'must be a phone number in international format (+…).'),
};

function cardProblems(card: Card, path: string): FieldViolation[] {
  const problems: FieldViolation[] = [];
  if (!card.header && !card.body) problems.push({ field: path, message: 'a card needs a header or a body.' });
  if (card.header) {
    if (isBlank(card.header.title)) problems.push({ field: `${path}.header.title`, message: 'must not be empty.' });
    if (card.header.mediaUrl != null && !isHttpsUrl(card.header.mediaUrl)) {
      problems.push({ field: `${path}.header.mediaUrl`, message: 'must be an absolute https URL.' });
    }
  }
  if (card.body && isBlank(card.body.text)) problems.push({ field: `${path}.body.text`, message: 'must not be empty.' });
  if (card.footer && isBlank(card.footer.text)) problems.push({ field: `${path}.footer.text`, message: 'must not be empty.' });
  card.actions.forEach((a, k) => {
    if (isBlank(a.label)) problems.push({ field: `${path}.actions[${k}].label`, message: 'must not be empty.' });
    const bad = ACTION_VALUE_CHECKS[a.type](a.value);
    if (bad) problems.push({ field: `${path}.actions[${k}].value`, message: bad });
  });
  return problems;
}

/**
 * Malformed parts of `content`, whatever the channel: empty bodies, media references that are not
 * exactly one of an upload or an https URL, template names and parameters, empty cards.
 */
export function malformedContent(content: StoredContent, base = 'input.content'): FieldViolation[] {
  const at = `${base}.${CONTENT_INPUT_FIELD[content.kind]}`;
  switch (content.kind) {
    case ContentKind.TEXT:
    case ContentKind.NOTE:
      return isBlank(content.body) ? [{ field: `${at}.body`, message: 'must not be empty.' }] : [];
    case ContentKind.MEDIA: {
      const problems = mediaRefProblems(content, at);
      if (content.caption != null && isBlank(content.caption))
        problems.push({ field: `${at}.caption`, message: 'must not be blank; leave it out instead.' });
      return problems;
    }
    case ContentKind.TEMPLATE:
      return templateProblems(content, at);
    case ContentKind.RICH:
      if (content.cards.length === 0) return [{ field: `${at}.cards`, message: 'needs at least one card.' }];
      return content.cards.flatMap((card, i) => cardProblems(card, `${at}.cards[${i}]`));
  }
}

// ---------------------------------------------------------------------------------------------
// Content the channel cannot carry → UNSUPPORTED_CONTENT
// ---------------------------------------------------------------------------------------------

const LENGTH_UNIT: Readonly<Record<(typeof CHANNEL_RULES)[ChannelKind]['textLengthUnit'], string>> = {
  'code-points': 'characters',
  'utf8-bytes': 'bytes (UTF-8)',
};

function formatBytes(bytes: number): string {
  if (bytes >= MB) return `${Math.round((bytes / MB) * 10) / 10} MB`;
  if (bytes >= KB) return `${Math.round((bytes / KB) * 10) / 10} KB`;
  return `${bytes} bytes`;
}

function textLimitProblems(channel: ChannelKind, text: string, field: string): FieldViolation[] {
  if (fitsTextLimit(channel, text)) return [];
  const rules = CHANNEL_RULES[channel];
  const unit = LENGTH_UNIT[rules.textLengthUnit];
  return [{ field, message: `is ${textLength(channel, text)} ${unit}; ${channel} accepts at most ${rules.maxTextLength}.` }];
}

/** Base MIME type, lowercase, without parameters (`Image/JPEG; q=1` → `image/jpeg`). */
function baseMime(mime: string): string {
  return mime.split(';')[0].trim().toLowerCase();
}

function mediaProblems(
  channel: ChannelKind,
  kind: MediaKind,
  ref: { mediaId?: string | null },
  uploads: ReadonlyMap<string, MediaFacts>,
  path: string,
): FieldViolation[] {
  const limit = mediaLimit(channel, kind);
  if (!limit) {
    const sendable = Object.keys(CHANNEL_RULES[channel].media).join(', ') || 'no media';
    return [{ field: `${path}.mediaKind`, message: `${channel} cannot send ${kind} files (it sends ${sendable}).` }];
  }
  // Hosted files are not fetched at send time, so only their declared kind can be checked here.
  const facts = ref.mediaId != null ? uploads.get(ref.mediaId) : undefined;
  if (!facts) return [];
  const problems: FieldViolation[] = [];
  const mime = baseMime(facts.mimeType);
  if (!limit.mimeTypes.includes(mime)) {
    problems.push({
      field: `${path}.mediaId`,
      message: `the file is ${mime}; ${channel} accepts ${kind} as ${limit.mimeTypes.join(', ')}.`,
    });
  }
  if (facts.size > limit.maxBytes) {
    problems.push({
      field: `${path}.mediaId`,
      message: `the file is ${formatBytes(facts.size)}; ${channel} accepts ${kind} up to ${formatBytes(limit.maxBytes)}.`,
    });
  }
  return problems;
}

/**
 * What `channel` cannot carry in `content`: a variant it lacks (rich, templates), text over its
 * limit (counted in the channel's unit), media kinds it cannot send, and uploaded files whose
 * sniffed MIME type or size it refuses. `uploads` holds the facts of every referenced upload.
 */
export function unsupportedContent(
  channel: ChannelKind,
  content: StoredContent,
  uploads: ReadonlyMap<string, MediaFacts> = new Map(),
  base = 'input.content',
): FieldViolation[] {
  const at = `${base}.${CONTENT_INPUT_FIELD[content.kind]}`;
  if (!supportedContentKinds(channel).includes(content.kind)) {
    return [{ field: at, message: `${channel} cannot carry ${content.kind} content.` }];
  }
  switch (content.kind) {
    case ContentKind.TEXT:
      return textLimitProblems(channel, content.body, `${at}.body`);
    case ContentKind.NOTE:
      // Notes never leave Switchboard, so no channel limit applies.
      return [];
    case ContentKind.MEDIA:
      return [
        ...mediaProblems(channel, content.mediaKind, content, uploads, at),
        ...(content.caption ? textLimitProblems(channel, content.caption, `${at}.caption`) : []),
      ];
    case ContentKind.TEMPLATE:
      return content.components.flatMap((c, i) =>
        c.parameters.flatMap((p, j) =>
          p.type === 'media' ? mediaProblems(channel, p.mediaKind, p, uploads, `${at}.components[${i}].parameters[${j}].media`) : [],
        ),
      );
    case ContentKind.RICH:
      return [];
  }
}

/**
 * Channel-specific annotations stored with the content: SMS text records the segments the
 * carrier will bill (so the composer and reports need not recount).
 */
export function annotateForChannel(channel: ChannelKind, content: StoredContent): StoredContent {
  if (content.kind === ContentKind.TEXT && channel === ChannelKind.SMS) {
    return { ...content, smsSegments: segmentsForSms(content.body).segments };
  }
  return content;
}

/** GraphQL enum names for a channel's supported content kinds (as clients compare them). */
function contentKindNames(kinds: readonly ContentKind[]): string[] {
  return kinds.map((k) => k.toUpperCase());
}

/**
 * Validates `content` for `channel` and returns what to store. Malformed content is reported
 * first (BAD_USER_INPUT), because fixing it may change what the channel question even is; then
 * what the channel cannot carry (UNSUPPORTED_CONTENT). Every violation of the failing family is
 * listed in `extensions.fields`.
 */
export function validateContent(
  channel: ChannelKind,
  content: StoredContent,
  uploads: ReadonlyMap<string, MediaFacts> = new Map(),
  base = 'input.content',
): StoredContent {
  const malformed = malformedContent(content, base);
  if (malformed.length) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, malformed.map((v) => `${v.field}: ${v.message}`).join('; '), { fields: malformed });
  }
  const unsupported = unsupportedContent(channel, content, uploads, base);
  if (unsupported.length) {
    throw new AppError(ErrorCode.UNSUPPORTED_CONTENT, unsupported.map((v) => `${v.field}: ${v.message}`).join('; '), {
      fields: unsupported,
      channel: channel.toUpperCase(),
      supportedContent: contentKindNames(supportedContentKinds(channel)),
    });
  }
  return annotateForChannel(channel, content);
}
