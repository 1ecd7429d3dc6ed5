import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CHANNEL_KINDS, ChannelKind } from '../../src/modules/channel/channel-kind';
import {
  CHANNEL_RULES,
  KB,
  MB,
  channelRules,
  fitsTextLimit,
  mediaLimit,
  segmentsForSms,
  supportedContentKinds,
  textLength,
} from '../../src/modules/channel/channel-rules';
import { ContentKind, MediaKind } from '../../src/modules/message/content-kind';

describe('CHANNEL_RULES', () => {
  test('every channel kind has rules that name themselves', () => {
    for (const kind of ALL_CHANNEL_KINDS) {
      const rules = channelRules(kind);
      assert.ok(rules, `missing rules for ${kind}`);
      assert.equal(rules.kind, kind);
      assert.ok(rules.maxTextLength > 0);
    }
    assert.deepEqual(Object.keys(CHANNEL_RULES).sort(), [...ALL_CHANNEL_KINDS].sort());
  });

  test('windows: 24 h on Meta channels, human-agent 168 h on Instagram and Messenger only', () => {
    assert.deepEqual(channelRules(ChannelKind.WHATSAPP).window, { kind: 'customer-service', hours: 24 });
    for (const kind of [ChannelKind.INSTAGRAM, ChannelKind.MESSENGER]) {
      assert.deepEqual(channelRules(kind).window, { kind: 'customer-service', hours: 24, humanAgentHours: 168 });
    }
    for (const kind of [ChannelKind.SMS, ChannelKind.EMAIL, ChannelKind.WEBCHAT, ChannelKind.TELEGRAM]) {
      assert.deepEqual(channelRules(kind).window, { kind: 'none' });
    }
  });

  test('text limits', () => {
    const expected: Record<ChannelKind, number> = {
      [ChannelKind.WHATSAPP]: 4096,
      [ChannelKind.SMS]: 1600,
      [ChannelKind.INSTAGRAM]: 1000,
      [ChannelKind.MESSENGER]: 2000,
      [ChannelKind.WEBCHAT]: 10000,
      [ChannelKind.EMAIL]: 100000,
      [ChannelKind.TELEGRAM]: 4096,
    };
    for (const kind of ALL_CHANNEL_KINDS) assert.equal(channelRules(kind).maxTextLength, expected[kind], kind);
  });

  test('capabilities', () => {
    const yes = (kinds: ChannelKind[]) => (kind: ChannelKind) => kinds.includes(kind);
    const reactions = yes([ChannelKind.WHATSAPP, ChannelKind.INSTAGRAM, ChannelKind.MESSENGER, ChannelKind.TELEGRAM, ChannelKind.WEBCHAT]);
    const rich = yes([ChannelKind.MESSENGER, ChannelKind.INSTAGRAM, ChannelKind.WEBCHAT, ChannelKind.TELEGRAM]);
    const templates = yes([ChannelKind.WHATSAPP]);
    for (const kind of ALL_CHANNEL_KINDS) {
      const caps = channelRules(kind).capabilities;
      assert.equal(caps.reactions, reactions(kind), `${kind} reactions`);
      assert.equal(caps.richContent, rich(kind), `${kind} richContent`);
      assert.equal(caps.templates, templates(kind), `${kind} templates`);
    }
    assert.equal(channelRules(ChannelKind.SMS).capabilities.readReceipts, false);
    assert.equal(channelRules(ChannelKind.EMAIL).capabilities.readReceipts, false);
    assert.equal(channelRules(ChannelKind.WHATSAPP).capabilities.readReceipts, true);
  });

  test('WhatsApp media limits', () => {
    assert.equal(MB, 1024 * 1024);
    assert.deepEqual(mediaLimit(ChannelKind.WHATSAPP, MediaKind.IMAGE), { maxBytes: 5 * MB, mimeTypes: ['image/jpeg', 'image/png'] });
    assert.deepEqual(mediaLimit(ChannelKind.WHATSAPP, MediaKind.VIDEO), { maxBytes: 16 * MB, mimeTypes: ['video/mp4', 'video/3gpp'] });
    assert.equal(mediaLimit(ChannelKind.WHATSAPP, MediaKind.AUDIO)?.maxBytes, 16 * MB);
    assert.ok(mediaLimit(ChannelKind.WHATSAPP, MediaKind.AUDIO)?.mimeTypes.includes('audio/ogg'));
    assert.equal(mediaLimit(ChannelKind.WHATSAPP, MediaKind.DOCUMENT)?.maxBytes, 100 * MB);
    assert.ok(mediaLimit(ChannelKind.WHATSAPP, MediaKind.DOCUMENT)?.mimeTypes.includes('application/pdf'));
    assert.deepEqual(mediaLimit(ChannelKind.WHATSAPP, MediaKind.STICKER), { maxBytes: 500 * KB, mimeTypes: ['image/webp'] });
  });

  test('media limits are sane everywhere and absent kinds read as null', () => {
    for (const kind of ALL_CHANNEL_KINDS) {
      for (const media of Object.values(MediaKind)) {
        const limit = mediaLimit(kind, media);
        if (limit === null) continue;
        assert.ok(Number.isInteger(limit.maxBytes) && limit.maxBytes > 0, `${kind}/${media} maxBytes`);
        assert.ok(limit.mimeTypes.length > 0, `${kind}/${media} mimeTypes`);
        for (const mime of limit.mimeTypes) assert.match(mime, /^[a-z]+\/[a-z0-9.+-]+$/, `${kind}/${media} ${mime}`);
      }
    }
    assert.equal(mediaLimit(ChannelKind.SMS, MediaKind.DOCUMENT), null);
    assert.equal(mediaLimit(ChannelKind.SMS, MediaKind.STICKER), null);
    assert.ok((mediaLimit(ChannelKind.SMS, MediaKind.IMAGE)?.maxBytes ?? Infinity) <= 5 * MB);
  });

  test('supported content kinds follow capabilities', () => {
    assert.deepEqual(supportedContentKinds(ChannelKind.WHATSAPP), [
      ContentKind.TEXT,
      ContentKind.MEDIA,
      ContentKind.TEMPLATE,
      ContentKind.NOTE,
    ]);
    assert.deepEqual(supportedContentKinds(ChannelKind.MESSENGER), [
      ContentKind.TEXT,
      ContentKind.MEDIA,
      ContentKind.RICH,
      ContentKind.NOTE,
    ]);
    assert.deepEqual(supportedContentKinds(ChannelKind.SMS), [ContentKind.TEXT, ContentKind.MEDIA, ContentKind.NOTE]);
  });

  test('Instagram counts its text limit in UTF-8 bytes, others in code points', () => {
    const emoji = '😀'; // 4 UTF-8 bytes, 2 UTF-16 units, 1 code point
    assert.equal(textLength(ChannelKind.INSTAGRAM, emoji), 4);
    assert.equal(textLength(ChannelKind.MESSENGER, emoji), 1);
    assert.equal(fitsTextLimit(ChannelKind.INSTAGRAM, emoji.repeat(250)), true);
    assert.equal(fitsTextLimit(ChannelKind.INSTAGRAM, emoji.repeat(251)), false);
    assert.equal(fitsTextLimit(ChannelKind.WHATSAPP, emoji.repeat(4096)), true);
    assert.equal(fitsTextLimit(ChannelKind.WHATSAPP, 'a'.repeat(4097)), false);
  });
});

describe('segmentsForSms', () => {
  test('empty body is zero segments', () => {
    assert.deepEqual(segmentsForSms(''), { encoding: 'GSM-7', segments: 0 });
  });

  test('160 GSM characters fit one segment, 161 need two', () => {
    assert.deepEqual(segmentsForSms('a'.repeat(160)), { encoding: 'GSM-7', segments: 1 });
    assert.deepEqual(segmentsForSms('a'.repeat(161)), { encoding: 'GSM-7', segments: 2 });
  });

  test('concatenated GSM segments hold 153 septets', () => {
    assert.equal(segmentsForSms('a'.repeat(306)).segments, 2);
    assert.equal(segmentsForSms('a'.repeat(307)).segments, 3);
  });

  test('basic-table accents and symbols stay GSM-7', () => {
    assert.deepEqual(segmentsForSms('Ça fait 5£ @ Ñandù? ¿Sì! Δ_Ω ÆØÅ ß\r\n'), { encoding: 'GSM-7', segments: 1 });
    assert.equal(segmentsForSms('a'.repeat(159) + 'ñ').segments, 1);
  });

  test('look-alike accents outside the GSM table force UCS-2', () => {
    // GSM has ù and ì (grave) but not ú or í (acute), a classic surprise on Spanish text.
    assert.deepEqual(segmentsForSms('Sí'), { encoding: 'UCS-2', segments: 1 });
    // 3GPP 23.038 code 0x09 is capital Ç; lowercase ç has no GSM code.
    assert.deepEqual(segmentsForSms('ç'), { encoding: 'UCS-2', segments: 1 });
  });

  test('the euro sign (extension table) counts as two septets', () => {
    assert.deepEqual(segmentsForSms('€'.repeat(80)), { encoding: 'GSM-7', segments: 1 });
    assert.deepEqual(segmentsForSms('€'.repeat(81)), { encoding: 'GSM-7', segments: 2 });
    assert.deepEqual(segmentsForSms('a'.repeat(159) + '€'), { encoding: 'GSM-7', segments: 2 });
    for (const c of '^{}\\[~]|\f') assert.equal(segmentsForSms('a'.repeat(159) + c).segments, 2, JSON.stringify(c));
  });

  test('an escape pair is never split across segments', () => {
    // 152 plain septets then a euro: 154 septets would fit 2x153 by division, but the pair cannot
    // straddle, so part one holds 152 and the euro starts part two.
    assert.equal(segmentsForSms('a'.repeat(152) + '€' + 'a'.repeat(152)).segments, 3);
    assert.equal(segmentsForSms('a'.repeat(151) + '€' + 'a'.repeat(153)).segments, 2);
  });

  test('one emoji forces UCS-2 and counts two UTF-16 units', () => {
    assert.deepEqual(segmentsForSms('a'.repeat(68) + '😀'), { encoding: 'UCS-2', segments: 1 });
    assert.deepEqual(segmentsForSms('a'.repeat(69) + '😀'), { encoding: 'UCS-2', segments: 2 });
    assert.deepEqual(segmentsForSms('a'.repeat(100) + '😀'), { encoding: 'UCS-2', segments: 2 });
  });

  test('a surrogate pair is never split across UCS-2 segments', () => {
    assert.equal(segmentsForSms('a'.repeat(66) + '😀' + 'a'.repeat(66)).segments, 3);
    assert.equal(segmentsForSms('a'.repeat(65) + '😀' + 'a'.repeat(67)).segments, 2);
  });

  test('UCS-2: 70 units single, 67 per concatenated part', () => {
    assert.deepEqual(segmentsForSms('ж'.repeat(70)), { encoding: 'UCS-2', segments: 1 });
    assert.deepEqual(segmentsForSms('ж'.repeat(71)), { encoding: 'UCS-2', segments: 2 });
    assert.deepEqual(segmentsForSms('ж'.repeat(134)), { encoding: 'UCS-2', segments: 2 });
    assert.deepEqual(segmentsForSms('ж'.repeat(135)), { encoding: 'UCS-2', segments: 3 });
  });

  test('a stray ESC control character is not GSM text', () => {
    assert.equal(segmentsForSms('hi\u001b').encoding, 'UCS-2');
  });
});
