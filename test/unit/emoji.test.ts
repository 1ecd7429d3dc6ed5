import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emojiProblem, isSingleEmoji, MAX_EMOJI_CODE_POINTS } from '../../src/modules/reaction/emoji';

describe('isSingleEmoji: one emoji grapheme is accepted', () => {
  const accepted: [string, string][] = [
    ['👍', 'a basic emoji'],
    ['🙏', 'another basic emoji'],
    ['❤', 'a text-default pictograph without VS16 (how many keyboards send it)'],
    ['❤️', 'the same with VS16'],
    ['👍🏽', 'a skin tone'],
    ['👨‍👩‍👧‍👦', 'a ZWJ family'],
    ['👩🏽‍🦰', 'skin tone and hair component in a ZWJ sequence'],
    ['🧑🏻‍❤️‍💋‍🧑🏼', 'the longest RGI sequence: two skin tones, ZWJ and VS16'],
    ['🏳️‍🌈', 'a ZWJ flag'],
    ['🇵🇱', 'a regional-indicator flag'],
    ['🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'a subdivision flag (tag sequence)'],
    ['1️⃣', 'a keycap with VS16'],
    ['#⃣', 'a keycap without VS16'],
  ];
  for (const [emoji, why] of accepted) {
    test(`${emoji} (${why})`, () => {
      assert.equal(emojiProblem(emoji), null);
      assert.equal(isSingleEmoji(emoji), true);
    });
  }
});

describe('isSingleEmoji: anything but exactly one emoji is refused', () => {
  const refused: [string, string, RegExp][] = [
    ['', 'empty', /empty/],
    ['ab', 'two letters', /exactly one/],
    ['a', 'one letter', /not text/],
    ['ok', 'a word', /exactly one/],
    ['á', 'a letter with a combining accent (one grapheme, still text)', /not text/],
    ['1', 'a digit without the keycap mark', /not text/],
    ['👍👍', 'two emoji', /exactly one/],
    ['👍 ', 'an emoji and a space', /exactly one/],
    [' 👍', 'a space and an emoji', /exactly one/],
    ['👍a', 'an emoji and a letter', /exactly one/],
    ['🇵', 'a lone regional indicator', /not text/],
    ['🏻', 'a lone skin tone', /not text/],
    ['👍\u0301', 'an emoji with a combining accent', /not text/],
    ['❤\uFE0E', 'an emoji asking for text presentation', /not text/],
    ['\u200D', 'a lone zero-width joiner', /not text/],
  ];
  for (const [value, why, message] of refused) {
    test(`${JSON.stringify(value)} (${why})`, () => {
      assert.equal(isSingleEmoji(value), false);
      assert.match(emojiProblem(value)!, message);
    });
  }

  test('a ZWJ chain longer than any real emoji is refused even though it is one grapheme', () => {
    const chain = Array.from({ length: MAX_EMOJI_CODE_POINTS }, () => '👍').join('\u200D');
    assert.equal([...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(chain)].length, 1);
    assert.equal(isSingleEmoji(chain), false);
  });
});
