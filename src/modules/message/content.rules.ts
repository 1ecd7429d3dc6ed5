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

/**
 * Every size cap on content, whatever the channel: what one message may hold before it is
 * BAD_USER_INPUT naming the field. These bound what a request can make us store, validate, render
 * and hand to a provider; they are not channel limits (those are UNSUPPORTED_CONTENT, from
 * channel-rules). Lengths count characters (Unicode code points, as the channel rules do); counts
 * are list sizes. Where a provider documents a limit (WhatsApp templates, Messenger generic
 * templates) the cap is that limit, so a message that passes here is not refused for size there.
 *
 * Not in the table: text bodies (every channel has a text limit), ids (parsed), the Int fields
 * (bounded by GraphQL), currency codes (a fixed pattern).
 */
export type ContentLimit =
  | 'noteBody'
  | 'mediaCaption'
  | 'url'
  | 'templateName'
  | 'templateLanguage'
  | 'templateComponents'
  | 'templateButtonSubType'
  | 'templateParameters'
  | 'templateText'
  | 'templateFallbackValue'
  | 'templateDateTime'
  | 'cards'
  | 'cardTitle'
  | 'cardBody'
  | 'cardFooter'
  | 'cardActions'
  | 'actionLabel'
  | 'actionValue';

/** The caps, by {@link ContentLimit}. Field paths are relative to `input.content`. */
export const CONTENT_LIMITS: Readonly<Record<ContentLimit, number>> = {
  /** `note.body`: notes never leave Switchboard, so no channel limit bounds them. */
  noteBody: 20_000,
  /** `media.caption` (WhatsApp's caption limit; channels with less refuse as UNSUPPORTED_CONTENT). */
  mediaCaption: 1024,
  /** `media.url`, template media `url`, `rich.cards[].header.mediaUrl`. */
  url: 2048,
  /** `template.name` (WhatsApp: 512). */
  templateName: 512,
  /** `template.language` (the longest code WhatsApp lists is far shorter). */
  templateLanguage: 15,
  /** `template.components`: a header, a body and WhatsApp's at most 8 buttons fit. */
  templateComponents: 10,
  /** `template.components[].subType` (quick_reply, url, copy_code…). */
  templateButtonSubType: 32,
  /** `template.components[].parameters`, per component. */
  templateParameters: 50,
  /** `template.components[].parameters[].text` (WhatsApp: 1024 for body parameters). */
  templateText: 1024,
  /** `…parameters[].currency.fallbackValue`, `…parameters[].dateTime.fallbackValue`. */
  templateFallbackValue: 256,
  /** `…parameters[].dateTime.isoDateTime` (a full ISO 8601 date-time is 35 characters). */
  templateDateTime: 64,
  /** `rich.cards` (Messenger's carousel holds 10). */
  cards: 10,
  /** `rich.cards[].header.title` (Messenger: 80). */
  cardTitle: 80,
  /** `rich.cards[].body.text`. */
  cardBody: 1024,
  /** `rich.cards[].footer.text`. */
  cardFooter: 60,
  /** `rich.cards[].actions`, per card (Messenger: 3 buttons). */
  cardActions: 3,
  /** `rich.cards[].actions[].label` (Messenger button titles: 20). */
  actionLabel: 20,
  /** `rich.cards[].actions[].value`: a reply payload, a URL or a phone number. */
  actionValue: 2000,
};

const TEMPLATE_NAME = /^[a-z0-9_]+$/;
// ISO 639 language, optionally a region or script (en, pt_BR, zh_Hant); what WhatsApp accepts.
const TEMPLATE_LANGUAGE = /^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$/;
const CURRENCY_CODE = /^[A-Z]{3}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function isBlank(text: string | null | undefined): boolean {
  return text == null || text.trim().length === 0;
}

/** Whether `text` has more than `max` code points; never copies the string (it may be huge). */
function longerThan(text: string, max: number): boolean {
  // A code point is one or two UTF-16 units, so a string this short cannot exceed the cap.
  if (text.length <= max) return false;
  let count = 0;
  for (const _ of text) if (++count > max) return true;
  return false;
}

/** The violation for a string over its cap, or null. */
function lengthProblem(text: string | null | undefined, limit: ContentLimit, field: string): FieldViolation | null {
  const max = CONTENT_LIMITS[limit];
  return text != null && longerThan(text, max) ? { field, message: `must be at most ${max} characters.` } : null;
}

/** The violation for a list over its cap (its items are then not inspected one by one), or null. */
function countProblem(items: readonly unknown[], limit: ContentLimit, field: string, what: string): FieldViolation | null {
  const max = CONTENT_LIMITS[limit];
  return items.length > max ? { field, message: `must hold at most ${max} ${what}; got ${items.length}.` } : null;
}

/** The violations that are not null, as a list. */
function present(...problems: (FieldViolation | null)[]): FieldViolation[] {
  return problems.filter((p): p is FieldViolation => p !== null);
}

function parseUrl(value: string, protocols: readonly string[]): URL | null {
  if (value.length > CONTENT_LIMITS.url) return null;
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '' ? url : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed content (channel-independent) → BAD_USER_INPUT
// ---------------------------------------------------------------------------------------------

function urlProblem(url: string, path: string, protocols: readonly string[], expected: string): FieldViolation | null {
  const tooLong = lengthProblem(url, 'url', path);
  if (tooLong) return tooLong;
  return parseUrl(url, protocols) ? null : { field: path, message: `must be an absolute ${expected} URL.` };
}

function mediaRefProblems(ref: { mediaId?: string | null; url?: string | null }, path: string): FieldViolation[] {
  const problems: FieldViolation[] = [];
  const hasId = ref.mediaId != null;
  const hasUrl = ref.url != null;
  if (hasId === hasUrl) problems.push({ field: path, message: 'set exactly one of mediaId, url.' });
  if (hasUrl) problems.push(...present(urlProblem(ref.url!, `${path}.url`, ['https:'], 'https')));
  return problems;
}

function fallbackProblems(fallbackValue: string, path: string): FieldViolation[] {
  if (isBlank(fallbackValue)) return [{ field: path, message: 'must not be empty.' }];
  return present(lengthProblem(fallbackValue, 'templateFallbackValue', path));
}

function templateParameterProblems(
  p: TemplateParameter,
  path: string,
  component: TemplateBody['components'][number]['type'],
): FieldViolation[] {
  switch (p.type) {
    case 'text':
      if (isBlank(p.text)) return [{ field: `${path}.text`, message: 'must not be empty.' }];
      return present(lengthProblem(p.text, 'templateText', `${path}.text`));
    case 'currency': {
      const problems = fallbackProblems(p.fallbackValue, `${path}.currency.fallbackValue`);
      if (!CURRENCY_CODE.test(p.code)) problems.push({ field: `${path}.currency.code`, message: 'must be an ISO 4217 code such as EUR.' });
      return problems;
    }
    case 'date_time': {
      const problems = fallbackProblems(p.fallbackValue, `${path}.dateTime.fallbackValue`);
      const at = `${path}.dateTime.isoDateTime`;
      if (p.isoDateTime != null) {
        const tooLong = lengthProblem(p.isoDateTime, 'templateDateTime', at);
        if (tooLong) problems.push(tooLong);
        else if (!(ISO_DATE_TIME.test(p.isoDateTime) && !Number.isNaN(Date.parse(p.isoDateTime)))) {
          problems.push({ field: at, message: 'must be an ISO 8601 date-time.' });
        }
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
  const badName = lengthProblem(t.name, 'templateName', `${base}.name`);
  if (badName) problems.push(badName);
  else if (!TEMPLATE_NAME.test(t.name)) {
    problems.push({ field: `${base}.name`, message: 'must be the approved template name (lowercase letters, digits, underscores).' });
  }
  const badLanguage = lengthProblem(t.language, 'templateLanguage', `${base}.language`);
  if (badLanguage) problems.push(badLanguage);
  else if (!TEMPLATE_LANGUAGE.test(t.language)) {
    problems.push({ field: `${base}.language`, message: 'must be a language code such as en or pt_BR.' });
  }
  const tooMany = countProblem(t.components, 'templateComponents', `${base}.components`, 'components');
  if (tooMany) return [...problems, tooMany];
  const seen = new Set<string>();
  t.components.forEach((c, i) => {
    const path = `${base}.components[${i}]`;
    if (c.type === 'button') {
      if (isBlank(c.subType))
        problems.push({ field: `${path}.subType`, message: 'is required for BUTTON components (quick_reply, url…).' });
      else problems.push(...present(lengthProblem(c.subType, 'templateButtonSubType', `${path}.subType`)));
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
    const tooManyParameters = countProblem(c.parameters, 'templateParameters', `${path}.parameters`, 'parameters');
    if (tooManyParameters) problems.push(tooManyParameters);
    else c.parameters.forEach((p, j) => problems.push(...templateParameterProblems(p, `${path}.parameters[${j}]`, c.type)));
  });
  return problems;
}

const ACTION_VALUE_CHECKS: Readonly<Record<Card['actions'][number]['type'], (value: string) => string | null>> = {
  reply: (v) => (isBlank(v) ? 'must not be empty.' : null),
  link: (v) => (parseUrl(v, ['https:', 'http:']) ? null : 'must be an absolute http(s) URL.'),
  call: (v) => (normalizePhone(v) ? null : 'must be a phone number in international format (+…).'),
};

/** Problems of a required card text: empty, or over its cap. */
function cardTextProblems(text: string, limit: ContentLimit, path: string): FieldViolation[] {
  if (isBlank(text)) return [{ field: path, message: 'must not be empty.' }];
  return present(lengthProblem(text, limit, path));
}

function cardProblems(card: Card, path: string): FieldViolation[] {
  const problems: FieldViolation[] = [];
  if (!card.header && !card.body) problems.push({ field: path, message: 'a card needs a header or a body.' });
  if (card.header) {
    problems.push(...cardTextProblems(card.header.title, 'cardTitle', `${path}.header.title`));
    if (card.header.mediaUrl != null) {
      problems.push(...present(urlProblem(card.header.mediaUrl, `${path}.header.mediaUrl`, ['https:'], 'https')));
    }
  }
  if (card.body) problems.push(...cardTextProblems(card.body.text, 'cardBody', `${path}.body.text`));
  if (card.footer) problems.push(...cardTextProblems(card.footer.text, 'cardFooter', `${path}.footer.text`));
  const tooMany = countProblem(card.actions, 'cardActions', `${path}.actions`, 'actions');
  if (tooMany) return [...problems, tooMany];
  card.actions.forEach((a, k) => {
    const at = `${path}.actions[${k}]`;
    problems.push(...cardTextProblems(a.label, 'actionLabel', `${at}.label`));
    const tooLong = lengthProblem(a.value, 'actionValue', `${at}.value`);
    const bad = tooLong ? null : ACTION_VALUE_CHECKS[a.type](a.value);
    if (tooLong) problems.push(tooLong);
    else if (bad) problems.push({ field: `${at}.value`, message: bad });
  });
  return problems;
}

/**
 * Malformed parts of `content`, whatever the channel: empty bodies, media references that are not
 * exactly one of an upload or an https URL, template names and parameters, empty cards, and
 * anything over its {@link CONTENT_LIMITS} cap. A list over its cap is reported once, on the list
 * (`input.content.template.components[3].parameters`), without a violation per item.
 */
export function malformedContent(content: StoredContent, base = 'input.content'): FieldViolation[] {
  const at = `${base}.${CONTENT_INPUT_FIELD[content.kind]}`;
  switch (content.kind) {
    case ContentKind.TEXT:
      return isBlank(content.body) ? [{ field: `${at}.body`, message: 'must not be empty.' }] : [];
    case ContentKind.NOTE:
      if (isBlank(content.body)) return [{ field: `${at}.body`, message: 'must not be empty.' }];
      return present(lengthProblem(content.body, 'noteBody', `${at}.body`));
    case ContentKind.MEDIA: {
      const problems = mediaRefProblems(content, at);
      if (content.caption != null && isBlank(content.caption))
        problems.push({ field: `${at}.caption`, message: 'must not be blank; leave it out instead.' });
      else problems.push(...present(lengthProblem(content.caption, 'mediaCaption', `${at}.caption`)));
      return problems;
    }
    case ContentKind.TEMPLATE:
      return templateProblems(content, at);
    case ContentKind.RICH: {
      if (content.cards.length === 0) return [{ field: `${at}.cards`, message: 'needs at least one card.' }];
      const tooMany = countProblem(content.cards, 'cards', `${at}.cards`, 'cards');
      if (tooMany) return [tooMany];
      return content.cards.flatMap((card, i) => cardProblems(card, `${at}.cards[${i}]`));
    }
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
