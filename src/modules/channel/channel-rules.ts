import { ChannelKind } from './channel-kind';
import { ContentKind, MediaKind } from '../message/content-kind';

/** One kibibyte. Providers write "KB" but mean 1024 bytes (we round down to be safe, never up). */
export const KB = 1024;
/** One mebibyte; see {@link KB}. */
export const MB = 1024 * KB;

/**
 * How long after the customer's last message the business may reply with free-form content.
 * `none` means the channel never restricts replies (SMS, email, our own webchat, Telegram bots).
 */
export type ChannelWindowRule =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'customer-service';
      /** Standard window, counted from the customer's last inbound message. */
      readonly hours: number;
      /**
       * Longer window that only a human agent may use (Meta's HUMAN_AGENT tag); bots and
       * automations stay on {@link hours}. Absent when the channel has no such extension.
       */
      readonly humanAgentHours?: number;
    };

/** Feature flags of a channel, as a plain object so it can be returned to clients as-is. */
export interface ChannelCapabilities {
  /** The business can react to a customer message with an emoji. */
  readonly reactions: boolean;
  /** The channel reports when the customer has read a message (READ delivery status). */
  readonly readReceipts: boolean;
  /** Structured content (cards, buttons, quick replies) can be sent in free-form replies. */
  readonly richContent: boolean;
  /** Pre-approved templates exist and are the only way to write outside the window. */
  readonly templates: boolean;
}

/** Size and type limits for one kind of media on one channel. */
export interface MediaLimit {
  /** Largest accepted file, in bytes (inclusive). */
  readonly maxBytes: number;
  /** Accepted MIME types, lowercase, without parameters. */
  readonly mimeTypes: readonly string[];
}

/** Media a channel accepts; a missing kind means the channel cannot send it at all. */
export type ChannelMediaRules = Readonly<Partial<Record<MediaKind, MediaLimit>>>;

/**
 * What {@link ChannelRules.maxTextLength} counts. Instagram documents its limit in UTF-8 bytes, so
 * an emoji-heavy reply hits it long before 1000 characters; everyone else counts characters,
 * which we take as Unicode code points.
 */
export type TextLengthUnit = 'code-points' | 'utf8-bytes';

/** Everything the rest of the app needs to know about a channel kind, in one place. */
export interface ChannelRules {
  readonly kind: ChannelKind;
  readonly window: ChannelWindowRule;
  /** Longest free-form text body the channel accepts, in {@link textLengthUnit}. */
  readonly maxTextLength: number;
  readonly textLengthUnit: TextLengthUnit;
  readonly capabilities: ChannelCapabilities;
  readonly media: ChannelMediaRules;
}

const NO_WINDOW: ChannelWindowRule = { kind: 'none' };

// MIME lists shared by several channels; kept as constants so a fix lands everywhere at once.
const OFFICE_DOCUMENTS = [
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'text/plain',
] as const;

const COMMON_IMAGES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

/**
 * Per-channel rules. Sources: Meta's WhatsApp Cloud API, Messenger and Instagram messaging docs,
 * Twilio's MMS guidance, Telegram Bot API limits. Webchat is our own widget, so its limits are
 * ours to choose; email limits stay under the ~25 MB that common mailbox providers accept after
 * base64 inflates attachments by a third.
 *
 * Typed as an exhaustive Record so adding a ChannelKind fails to compile until its rules exist.
 */
export const CHANNEL_RULES: Readonly<Record<ChannelKind, ChannelRules>> = {
  [ChannelKind.WHATSAPP]: {
    kind: ChannelKind.WHATSAPP,
    window: { kind: 'customer-service', hours: 24 },
    maxTextLength: 4096,
    textLengthUnit: 'code-points',
    capabilities: {
      reactions: true,
      readReceipts: true,
      // Interactive buttons/lists exist, but our product sends them only through templates.
      richContent: false,
      templates: true,
    },
    media: {
      [MediaKind.IMAGE]: { maxBytes: 5 * MB, mimeTypes: ['image/jpeg', 'image/png'] },
      [MediaKind.VIDEO]: { maxBytes: 16 * MB, mimeTypes: ['video/mp4', 'video/3gpp'] },
      [MediaKind.AUDIO]: {
        maxBytes: 16 * MB,
        mimeTypes: ['audio/aac', 'audio/mp4', 'audio/mpeg', 'audio/amr', 'audio/ogg'],
      },
      [MediaKind.DOCUMENT]: { maxBytes: 100 * MB, mimeTypes: OFFICE_DOCUMENTS },
      // 500 KB is the animated-sticker ceiling; static stickers must stay under 100 KB.
      [MediaKind.STICKER]: { maxBytes: 500 * KB, mimeTypes: ['image/webp'] },
    },
  },
  [ChannelKind.SMS]: {
    kind: ChannelKind.SMS,
    window: NO_WINDOW,
    // Twilio's ceiling for a concatenated message; billing is per segment (see segmentsForSms).
    maxTextLength: 1600,
    textLengthUnit: 'code-points',
    capabilities: { reactions: false, readReceipts: false, richContent: false, templates: false },
    // MMS: carriers cap the whole message around 5 MB (some far lower), so each kind gets the
    // total as its ceiling. Documents are left out: carrier support is too patchy to promise.
    media: {
      [MediaKind.IMAGE]: { maxBytes: 5 * MB, mimeTypes: ['image/jpeg', 'image/png', 'image/gif'] },
      [MediaKind.VIDEO]: { maxBytes: 5 * MB, mimeTypes: ['video/mp4', 'video/3gpp'] },
      [MediaKind.AUDIO]: {
        maxBytes: 5 * MB,
        mimeTypes: ['audio/mpeg', 'audio/mp4', 'audio/amr', 'audio/3gpp', 'audio/wav'],
      },
    },
  },
  [ChannelKind.INSTAGRAM]: {
    kind: ChannelKind.INSTAGRAM,
    window: { kind: 'customer-service', hours: 24, humanAgentHours: 168 },
    maxTextLength: 1000,
    textLengthUnit: 'utf8-bytes',
    capabilities: { reactions: true, readReceipts: true, richContent: true, templates: false },
    media: {
      [MediaKind.IMAGE]: { maxBytes: 8 * MB, mimeTypes: ['image/jpeg', 'image/png', 'image/gif'] },
      [MediaKind.VIDEO]: {
        maxBytes: 25 * MB,
        mimeTypes: ['video/mp4', 'video/ogg', 'video/x-msvideo', 'video/quicktime', 'video/webm'],
      },
      [MediaKind.AUDIO]: { maxBytes: 25 * MB, mimeTypes: ['audio/aac', 'audio/mp4', 'audio/wav'] },
      [MediaKind.DOCUMENT]: { maxBytes: 25 * MB, mimeTypes: ['application/pdf'] },
    },
  },
  [ChannelKind.MESSENGER]: {
    kind: ChannelKind.MESSENGER,
    window: { kind: 'customer-service', hours: 24, humanAgentHours: 168 },
    maxTextLength: 2000,
    textLengthUnit: 'code-points',
    capabilities: { reactions: true, readReceipts: true, richContent: true, templates: false },
    // Messenger caps every attachment at 25 MB; image formats are the ones it renders inline.
    media: {
      [MediaKind.IMAGE]: { maxBytes: 25 * MB, mimeTypes: ['image/jpeg', 'image/png', 'image/gif'] },
      [MediaKind.VIDEO]: { maxBytes: 25 * MB, mimeTypes: ['video/mp4', 'video/quicktime'] },
      [MediaKind.AUDIO]: {
        maxBytes: 25 * MB,
        mimeTypes: ['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/wav', 'audio/ogg'],
      },
      [MediaKind.DOCUMENT]: { maxBytes: 25 * MB, mimeTypes: OFFICE_DOCUMENTS },
    },
  },
  [ChannelKind.WEBCHAT]: {
    kind: ChannelKind.WEBCHAT,
    window: NO_WINDOW,
    maxTextLength: 10_000,
    textLengthUnit: 'code-points',
    capabilities: { reactions: true, readReceipts: true, richContent: true, templates: false },
    media: {
      [MediaKind.IMAGE]: { maxBytes: 10 * MB, mimeTypes: COMMON_IMAGES },
      [MediaKind.VIDEO]: { maxBytes: 25 * MB, mimeTypes: ['video/mp4', 'video/webm'] },
      [MediaKind.AUDIO]: {
        maxBytes: 25 * MB,
        mimeTypes: ['audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/webm', 'audio/wav'],
      },
      [MediaKind.DOCUMENT]: { maxBytes: 25 * MB, mimeTypes: [...OFFICE_DOCUMENTS, 'text/csv'] },
    },
  },
  [ChannelKind.EMAIL]: {
    kind: ChannelKind.EMAIL,
    window: NO_WINDOW,
    maxTextLength: 100_000,
    textLengthUnit: 'code-points',
    // Open-tracking pixels are not read receipts: blocked by many clients, faked by others.
    capabilities: { reactions: false, readReceipts: false, richContent: false, templates: false },
    media: {
      [MediaKind.IMAGE]: { maxBytes: 18 * MB, mimeTypes: COMMON_IMAGES },
      [MediaKind.VIDEO]: { maxBytes: 18 * MB, mimeTypes: ['video/mp4', 'video/quicktime', 'video/webm'] },
      [MediaKind.AUDIO]: {
        maxBytes: 18 * MB,
        mimeTypes: ['audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/wav'],
      },
      [MediaKind.DOCUMENT]: {
        maxBytes: 18 * MB,
        mimeTypes: [...OFFICE_DOCUMENTS, 'text/csv', 'application/zip'],
      },
    },
  },
  [ChannelKind.TELEGRAM]: {
    kind: ChannelKind.TELEGRAM,
    window: NO_WINDOW,
    maxTextLength: 4096,
    textLengthUnit: 'code-points',
    // The Bot API never tells a bot whether its message was read.
    capabilities: { reactions: true, readReceipts: false, richContent: true, templates: false },
    // Bot API upload limits: photos 10 MB, every other file 50 MB.
    media: {
      [MediaKind.IMAGE]: { maxBytes: 10 * MB, mimeTypes: ['image/jpeg', 'image/png', 'image/webp'] },
      [MediaKind.VIDEO]: { maxBytes: 50 * MB, mimeTypes: ['video/mp4'] },
      [MediaKind.AUDIO]: { maxBytes: 50 * MB, mimeTypes: ['audio/mpeg', 'audio/mp4', 'audio/ogg'] },
      [MediaKind.DOCUMENT]: { maxBytes: 50 * MB, mimeTypes: [...OFFICE_DOCUMENTS, 'text/csv', 'application/zip'] },
      [MediaKind.STICKER]: { maxBytes: 512 * KB, mimeTypes: ['image/webp'] },
    },
  },
};

/** The rules for a channel kind. */
export function channelRules(kind: ChannelKind): ChannelRules {
  return CHANNEL_RULES[kind];
}

/** Whether a content kind needs a channel capability; `null` means every channel supports it. */
const CONTENT_REQUIRES: Readonly<Record<ContentKind, keyof ChannelCapabilities | null>> = {
  [ContentKind.TEXT]: null,
  [ContentKind.MEDIA]: null,
  [ContentKind.TEMPLATE]: 'templates',
  [ContentKind.RICH]: 'richContent',
  // Notes never leave our system, so no channel can refuse them.
  [ContentKind.NOTE]: null,
};

/** Content kinds the channel can carry at all (ignoring any window), in ContentKind order. */
export function supportedContentKinds(kind: ChannelKind): ContentKind[] {
  const { capabilities } = CHANNEL_RULES[kind];
  return (Object.values(ContentKind) as ContentKind[]).filter((content) => {
    const required = CONTENT_REQUIRES[content];
    return required === null || capabilities[required];
  });
}

/** Media limits for one kind on one channel, or `null` when the channel cannot send it. */
export function mediaLimit(kind: ChannelKind, media: MediaKind): MediaLimit | null {
  return CHANNEL_RULES[kind].media[media] ?? null;
}

const utf8 = new TextEncoder();

/** Length of `text` in the unit the channel counts its text limit in. */
export function textLength(kind: ChannelKind, text: string): number {
  switch (CHANNEL_RULES[kind].textLengthUnit) {
    case 'utf8-bytes':
      return utf8.encode(text).length;
    case 'code-points':
      return [...text].length;
  }
}

/** Whether `text` fits the channel's free-form text limit. */
export function fitsTextLimit(kind: ChannelKind, text: string): boolean {
  return textLength(kind, text) <= CHANNEL_RULES[kind].maxTextLength;
}

// ---------------------------------------------------------------------------------------------
// SMS segments
// ---------------------------------------------------------------------------------------------

/** Encoding an SMS will be sent in: GSM-7 when every character fits, UCS-2 otherwise. */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** How an SMS body will be split on the wire. */
export interface SmsSegmentation {
  readonly encoding: SmsEncoding;
  /** Number of billed segments; 0 for an empty body. */
  readonly segments: number;
}

/**
 * GSM 03.38 default alphabet (the ESC code 0x1B is left out: it is not a character a user can
 * type, and a stray one must push the message to UCS-2 rather than be sent as an escape).
 */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

/** GSM 03.38 extension table: each is sent as ESC + code, so it costs two septets. */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

/** Units per segment: a lone segment, and each part of a concatenated message (UDH eats the rest). */
const SEGMENT_CAPACITY: Readonly<Record<SmsEncoding, { single: number; multi: number }>> = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
};

/**
 * Counts the SMS segments a body will be billed as.
 *
 * GSM-7 counts septets (extension-table characters such as `€` or `{` take two); any character
 * outside both GSM tables switches the whole message to UCS-2, which counts UTF-16 code units
 * (so an emoji, a surrogate pair, takes two). A two-unit character is never split across
 * segments, matching how carriers pack concatenated messages, so a long message can need one
 * more segment than plain division suggests.
 *
 * Limits: national language shift tables (Turkish, Spanish, Portuguese, Indian languages) are
 * not modelled, so text a carrier could send in GSM-7 with a shift table is reported as UCS-2;
 * providers that transliterate "smart" characters before sending may bill fewer segments.
 */
export function segmentsForSms(text: string): SmsSegmentation {
  const chars = [...text];
  const gsm = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  // Per character cost in the chosen encoding; `c.length` is UTF-16 code units (2 for astral).
  const costs = chars.map((c) => (gsm ? (GSM7_EXTENSION.has(c) ? 2 : 1) : c.length));
  const total = costs.reduce((sum, cost) => sum + cost, 0);
  const capacity = SEGMENT_CAPACITY[encoding];

  if (total === 0) return { encoding, segments: 0 };
  if (total <= capacity.single) return { encoding, segments: 1 };

  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > capacity.multi) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { encoding, segments };
}
