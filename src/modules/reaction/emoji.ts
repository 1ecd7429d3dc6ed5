/**
 * Is a string exactly one emoji? Reactions carry one emoji, as on WhatsApp and Messenger, so
 * "ab", "👍👍", "" and plain text are refused while ZWJ sequences (👨‍👩‍👧‍👦), skin tones (👍🏽),
 * flags (🇵🇱, 🏴󠁧󠁢󠁳󠁣󠁴󠁿) and keycaps (1️⃣) are one emoji each.
 *
 * Built on Unicode properties rather than a list of RGI emoji, so emoji newer than the runtime's
 * data are accepted as long as they are pictographic (Extended_Pictographic reserves whole
 * blocks for future emoji); the price is that a few pictographs most people would not call
 * emoji (©, ™, ‼) pass too.
 */

/** Enough for the longest RGI sequence (kiss with two skin tones: 10 code points) with room to spare. */
export const MAX_EMOJI_CODE_POINTS = 16;

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Code points that may appear in a pictographic emoji sequence besides the pictographs themselves. */
const ZWJ = 0x200d;
const VS16 = 0xfe0f;
const TAG_FIRST = 0xe0020;
const TAG_LAST = 0xe007f;

const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;
const SKIN_TONE = /^\p{Emoji_Modifier}$/u;
const FLAG = /^\p{Regional_Indicator}{2}$/u;
const KEYCAP = /^[0-9#*]\uFE0F?\u20E3$/u;

/** Why `value` is not exactly one emoji, or null when it is. Pure; messages are for clients. */
export function emojiProblem(value: string): string | null {
  if (value === '') return 'must be one emoji, not empty.';
  const codePoints = [...value];
  if (codePoints.length > MAX_EMOJI_CODE_POINTS) return 'must be exactly one emoji.';
  let graphemes = 0;
  for (const _ of segmenter.segment(value)) if (++graphemes > 1) return 'must be exactly one emoji.';
  return isEmojiGrapheme(value, codePoints) ? null : 'must be an emoji, not text.';
}

/** True when `value` is exactly one emoji (see {@link emojiProblem}). */
export function isSingleEmoji(value: string): boolean {
  return emojiProblem(value) === null;
}

/** One grapheme cluster: a flag, a keycap, or pictographs joined by ZWJ with skin tones, VS16 and tags. */
function isEmojiGrapheme(grapheme: string, codePoints: string[]): boolean {
  if (FLAG.test(grapheme) || KEYCAP.test(grapheme)) return true;
  let pictographs = 0;
  for (const ch of codePoints) {
    if (PICTOGRAPHIC.test(ch)) {
      pictographs++;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    // Anything else (combining accents, letters, text-style selector FE0E) makes it text.
    if (!(cp === ZWJ || cp === VS16 || (cp >= TAG_FIRST && cp <= TAG_LAST) || SKIN_TONE.test(ch))) return false;
  }
  return pictographs > 0;
}
