import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ErrorCode } from '../../src/lib/errors';
import { ALL_CHANNEL_KINDS, ChannelKind } from '../../src/modules/channel/channel-kind';
import { CHANNEL_RULES, KB, MB } from '../../src/modules/channel/channel-rules';
import { ContentKind, MediaKind } from '../../src/modules/message/content-kind';
import {
  CONTENT_LIMITS,
  malformedContent,
  unsupportedContent,
  validateContent,
  type ContentLimit,
  type MediaFacts,
} from '../../src/modules/message/content.rules';
import type { StoredContent } from '../../src/modules/message/message-content';

const text = (body: string): StoredContent => ({ kind: ContentKind.TEXT, body });
const note = (body: string): StoredContent => ({ kind: ContentKind.NOTE, body });
const template: StoredContent = { kind: ContentKind.TEMPLATE, name: 'order_ready', language: 'en', components: [] };
const rich: StoredContent = { kind: ContentKind.RICH, cards: [{ header: { title: 'Hi' }, body: null, footer: null, actions: [] }] };
const upload = (mediaKind: MediaKind, mediaId = 'mda_1'): StoredContent => ({ kind: ContentKind.MEDIA, mediaKind, mediaId, url: null });
const hosted = (mediaKind: MediaKind): StoredContent => ({
  kind: ContentKind.MEDIA,
  mediaKind,
  mediaId: null,
  url: 'https://cdn.example.com/f',
});

/** The code and fields validateContent refuses with, or 'ok'. */
function verdict(
  channel: ChannelKind,
  content: StoredContent,
  uploads: Map<string, MediaFacts> = new Map(),
): 'ok' | { code: ErrorCode; fields: string[] } {
  try {
    validateContent(channel, content, uploads);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return { code: err.code, fields: (err.details.fields as { field: string }[]).map((f) => f.field) };
  }
}

const unsupported = (...fields: string[]) => ({ code: ErrorCode.UNSUPPORTED_CONTENT, fields });
const bad = (...fields: string[]) => ({ code: ErrorCode.BAD_USER_INPUT, fields });

describe('content variants per channel', () => {
  // Spelled out rather than derived from the capabilities, so a change to either is noticed here.
  const SUPPORTED: Record<ChannelKind, { rich: boolean; template: boolean }> = {
    [ChannelKind.WHATSAPP]: { rich: false, template: true },
    [ChannelKind.SMS]: { rich: false, template: false },
    [ChannelKind.INSTAGRAM]: { rich: true, template: false },
    [ChannelKind.MESSENGER]: { rich: true, template: false },
    [ChannelKind.WEBCHAT]: { rich: true, template: false },
    [ChannelKind.EMAIL]: { rich: false, template: false },
    [ChannelKind.TELEGRAM]: { rich: true, template: false },
  };

  for (const channel of ALL_CHANNEL_KINDS) {
    test(channel, () => {
      assert.equal(verdict(channel, text('Hello')), 'ok');
      assert.equal(verdict(channel, note('Internal')), 'ok');
      assert.deepEqual(verdict(channel, rich), SUPPORTED[channel].rich ? 'ok' : unsupported('input.content.rich'));
      assert.deepEqual(verdict(channel, template), SUPPORTED[channel].template ? 'ok' : unsupported('input.content.template'));
    });
  }

  test('the refusal lists what the channel supports, as GraphQL enum names', () => {
    try {
      validateContent(ChannelKind.WHATSAPP, rich);
      assert.fail('rich content passed on WhatsApp');
    } catch (err) {
      assert.ok(err instanceof AppError);
      assert.equal(err.details.channel, 'WHATSAPP');
      assert.deepEqual(err.details.supportedContent, ['TEXT', 'MEDIA', 'TEMPLATE', 'NOTE']);
    }
  });
});

describe('text', () => {
  test('exactly at the limit passes, one over is refused (every channel)', () => {
    for (const channel of ALL_CHANNEL_KINDS) {
      const max = CHANNEL_RULES[channel].maxTextLength;
      assert.equal(verdict(channel, text('a'.repeat(max))), 'ok', channel);
      assert.deepEqual(verdict(channel, text('a'.repeat(max + 1))), unsupported('input.content.text.body'), channel);
    }
  });

  test('Instagram counts UTF-8 bytes, the others code points', () => {
    const accented = 'é'.repeat(600); // 600 code points, 1200 bytes
    assert.deepEqual(verdict(ChannelKind.INSTAGRAM, text(accented)), unsupported('input.content.text.body'));
    assert.equal(verdict(ChannelKind.MESSENGER, text(accented)), 'ok');
    // An emoji is one code point, not two UTF-16 units.
    assert.equal(verdict(ChannelKind.WHATSAPP, text('😀'.repeat(4096))), 'ok');
  });

  test('empty or blank bodies are malformed on every channel; notes too', () => {
    for (const channel of ALL_CHANNEL_KINDS) {
      assert.deepEqual(verdict(channel, text('')), bad('input.content.text.body'));
      assert.deepEqual(verdict(channel, text(' \n\t')), bad('input.content.text.body'));
      assert.deepEqual(verdict(channel, note('  ')), bad('input.content.note.body'));
    }
  });

  test('notes have no channel limit: they never leave Switchboard', () => {
    assert.equal(verdict(ChannelKind.SMS, note('n'.repeat(5000))), 'ok');
  });

  test('SMS records billed segments; other channels do not', () => {
    assert.deepEqual(validateContent(ChannelKind.SMS, text('x'.repeat(160))), {
      kind: ContentKind.TEXT,
      body: 'x'.repeat(160),
      smsSegments: 1,
    });
    assert.deepEqual(validateContent(ChannelKind.SMS, text('x'.repeat(161))), {
      kind: ContentKind.TEXT,
      body: 'x'.repeat(161),
      smsSegments: 2,
    });
    assert.equal((validateContent(ChannelKind.SMS, text('Привет')) as { smsSegments?: number }).smsSegments, 1);
    assert.equal('smsSegments' in validateContent(ChannelKind.WHATSAPP, text('x'.repeat(161))), false);
  });
});

describe('media', () => {
  const facts = (mimeType: string, size: number) => new Map([['mda_1', { mimeType, size }]]);

  test('kinds a channel cannot send are refused on mediaKind', () => {
    assert.deepEqual(verdict(ChannelKind.SMS, hosted(MediaKind.DOCUMENT)), unsupported('input.content.media.mediaKind'));
    assert.deepEqual(verdict(ChannelKind.INSTAGRAM, hosted(MediaKind.STICKER)), unsupported('input.content.media.mediaKind'));
    assert.equal(verdict(ChannelKind.WHATSAPP, hosted(MediaKind.STICKER)), 'ok');
  });

  test('uploads are judged by their sniffed MIME type', () => {
    assert.equal(verdict(ChannelKind.WHATSAPP, upload(MediaKind.IMAGE), facts('image/jpeg', 10 * KB)), 'ok');
    assert.equal(verdict(ChannelKind.WHATSAPP, upload(MediaKind.IMAGE), facts('IMAGE/PNG; charset=binary', 10 * KB)), 'ok');
    assert.deepEqual(
      verdict(ChannelKind.WHATSAPP, upload(MediaKind.IMAGE), facts('image/gif', 10 * KB)),
      unsupported('input.content.media.mediaId'),
    );
    // A webp image may be sent as a sticker on WhatsApp, a PNG may not.
    assert.equal(verdict(ChannelKind.WHATSAPP, upload(MediaKind.STICKER), facts('image/webp', 100 * KB)), 'ok');
    assert.deepEqual(
      verdict(ChannelKind.WHATSAPP, upload(MediaKind.STICKER), facts('image/png', 100 * KB)),
      unsupported('input.content.media.mediaId'),
    );
  });

  test('size limits are inclusive', () => {
    assert.equal(verdict(ChannelKind.WHATSAPP, upload(MediaKind.IMAGE), facts('image/jpeg', 5 * MB)), 'ok');
    assert.deepEqual(
      verdict(ChannelKind.WHATSAPP, upload(MediaKind.IMAGE), facts('image/jpeg', 5 * MB + 1)),
      unsupported('input.content.media.mediaId'),
    );
    assert.equal(verdict(ChannelKind.MESSENGER, upload(MediaKind.IMAGE), facts('image/jpeg', 25 * MB)), 'ok');
  });

  test('references must be exactly one of an upload or an https URL', () => {
    const both: StoredContent = { kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, mediaId: 'mda_1', url: 'https://x.test/a.jpg' };
    const neither: StoredContent = { kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE };
    const http: StoredContent = { kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, url: 'http://x.test/a.jpg' };
    const notUrl: StoredContent = { kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, url: 'a.jpg' };
    assert.deepEqual(verdict(ChannelKind.WHATSAPP, both), bad('input.content.media'));
    assert.deepEqual(verdict(ChannelKind.WHATSAPP, neither), bad('input.content.media'));
    assert.deepEqual(verdict(ChannelKind.WHATSAPP, http), bad('input.content.media.url'));
    assert.deepEqual(verdict(ChannelKind.WHATSAPP, notUrl), bad('input.content.media.url'));
  });

  test('captions count against the text limit and must not be blank', () => {
    const captioned = (caption: string): StoredContent => ({ ...(hosted(MediaKind.IMAGE) as object), caption }) as StoredContent;
    assert.deepEqual(verdict(ChannelKind.INSTAGRAM, captioned('c'.repeat(1001))), unsupported('input.content.media.caption'));
    assert.deepEqual(verdict(ChannelKind.WHATSAPP, captioned('  ')), bad('input.content.media.caption'));
  });
});

describe('templates', () => {
  const withComponents = (components: unknown[]): StoredContent => ({ ...template, components }) as StoredContent;
  const at = (i: number, rest = '') => `input.content.template.components[${i}]${rest}`;

  test('names and languages', () => {
    assert.deepEqual(
      verdict(ChannelKind.WHATSAPP, { ...template, name: 'Order Ready' } as StoredContent),
      bad('input.content.template.name'),
    );
    assert.deepEqual(
      verdict(ChannelKind.WHATSAPP, { ...template, language: 'english' } as StoredContent),
      bad('input.content.template.language'),
    );
    assert.equal(verdict(ChannelKind.WHATSAPP, { ...template, language: 'pt_BR' } as StoredContent), 'ok');
  });

  test('parameters', () => {
    const ok = withComponents([
      { type: 'header', parameters: [{ type: 'media', mediaKind: MediaKind.IMAGE, url: 'https://x.test/h.jpg' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Anna' },
          { type: 'currency', fallbackValue: '€12.50', code: 'EUR', amount1000: 12500 },
          { type: 'date_time', fallbackValue: 'May 1', isoDateTime: '2026-05-01T10:00:00Z' },
        ],
      },
      { type: 'button', subType: 'quick_reply', index: 0, parameters: [{ type: 'text', text: 'yes' }] },
    ]);
    assert.equal(verdict(ChannelKind.WHATSAPP, ok), 'ok');
    assert.deepEqual(
      verdict(
        ChannelKind.WHATSAPP,
        withComponents([
          {
            type: 'body',
            parameters: [
              { type: 'text', text: ' ' },
              { type: 'currency', fallbackValue: '1', code: 'eur', amount1000: 1 },
              { type: 'date_time', fallbackValue: 'x', isoDateTime: 'tomorrow' },
              { type: 'media', mediaKind: MediaKind.IMAGE, url: 'https://x.test/h.jpg' },
            ],
          },
        ]),
      ),
      bad(
        at(0, '.parameters[0].text'),
        at(0, '.parameters[1].currency.code'),
        at(0, '.parameters[2].dateTime.isoDateTime'),
        at(0, '.parameters[3].media'),
      ),
    );
  });

  test('buttons need subType and index; other components take neither; no duplicates', () => {
    assert.deepEqual(
      verdict(
        ChannelKind.WHATSAPP,
        withComponents([
          { type: 'button', parameters: [] },
          { type: 'body', subType: 'url', index: 1, parameters: [] },
        ]),
      ),
      bad(at(0, '.subType'), at(0, '.index'), at(1, '.subType'), at(1, '.index')),
    );
    assert.deepEqual(
      verdict(
        ChannelKind.WHATSAPP,
        withComponents([
          { type: 'body', parameters: [] },
          { type: 'body', parameters: [] },
        ]),
      ),
      bad(at(1)),
    );
  });

  test('header files are checked against the channel media rules', () => {
    const header = (mediaKind: MediaKind) =>
      withComponents([{ type: 'header', parameters: [{ type: 'media', mediaKind, mediaId: 'mda_1' }] }]);
    const pdf = new Map([['mda_1', { mimeType: 'application/pdf', size: 200 * MB }]]);
    assert.deepEqual(verdict(ChannelKind.WHATSAPP, header(MediaKind.DOCUMENT), pdf), unsupported(at(0, '.parameters[0].media.mediaId')));
  });
});

describe('rich cards', () => {
  const cards = (list: unknown[]): StoredContent => ({ kind: ContentKind.RICH, cards: list }) as StoredContent;
  const path = (rest: string) => `input.content.rich.cards[0]${rest}`;

  test('valid cards pass on rich channels', () => {
    const card = {
      header: { title: 'Blue shirt', mediaUrl: 'https://cdn.example.com/shirt.jpg' },
      body: { text: 'Size M in stock' },
      footer: { text: 'Acme' },
      actions: [
        { type: 'reply', label: 'Reserve', value: 'reserve:shirt' },
        { type: 'link', label: 'Open', value: 'https://acme.test/shirt' },
        { type: 'call', label: 'Call us', value: '+1 415 555 0100' },
      ],
    };
    assert.equal(verdict(ChannelKind.MESSENGER, cards([card])), 'ok');
  });

  test('malformed cards', () => {
    assert.deepEqual(verdict(ChannelKind.MESSENGER, cards([])), bad('input.content.rich.cards'));
    assert.deepEqual(
      verdict(ChannelKind.MESSENGER, cards([{ header: null, body: null, footer: { text: 'f' }, actions: [] }])),
      bad(path('')),
    );
    assert.deepEqual(
      verdict(
        ChannelKind.MESSENGER,
        cards([
          {
            header: { title: '', mediaUrl: 'http://x.test/a.jpg' },
            actions: [
              { type: 'reply', label: '', value: '' },
              { type: 'link', label: 'x', value: 'javascript:alert(1)' },
              { type: 'call', label: 'x', value: 'call me' },
            ],
          },
        ]),
      ),
      bad(
        path('.header.title'),
        path('.header.mediaUrl'),
        path('.actions[0].label'),
        path('.actions[0].value'),
        path('.actions[1].value'),
        path('.actions[2].value'),
      ),
    );
  });

  test('malformed content is reported before unsupported content', () => {
    assert.deepEqual(verdict(ChannelKind.WHATSAPP, cards([])), bad('input.content.rich.cards'));
  });
});

test('malformedContent and unsupportedContent honour a custom base path', () => {
  assert.deepEqual(malformedContent(text(''), 'args.content'), [{ field: 'args.content.text.body', message: 'must not be empty.' }]);
  assert.equal(unsupportedContent(ChannelKind.SMS, rich, new Map(), 'args.content')[0].field, 'args.content.rich');
});

describe('size caps (CONTENT_LIMITS)', () => {
  type Build = (n: number) => StoredContent;
  const tpl = (components: unknown[]): StoredContent => ({ ...template, components }) as StoredContent;
  const body = (parameters: unknown[]) => tpl([{ type: 'body', parameters }]);
  const card = (c: Record<string, unknown>): StoredContent =>
    ({ kind: ContentKind.RICH, cards: [{ header: { title: 'Hi' }, body: null, footer: null, actions: [], ...c }] }) as StoredContent;
  const button = (index: number, subType = 'quick_reply') => ({ type: 'button', subType, index, parameters: [] });
  const media = (fields: Record<string, unknown>): StoredContent => ({ ...hosted(MediaKind.IMAGE), ...fields }) as unknown as StoredContent;
  const httpsUrl = (n: number) => `https://x.test/${'a'.repeat(n - 'https://x.test/'.length)}`;
  const isoOf = (n: number) => `2026-05-01T10:00:00.${'1'.repeat(n - '2026-05-01T10:00:00.Z'.length)}Z`;
  const reply = { type: 'reply', label: 'Yes', value: 'yes' };

  /**
   * Per cap: the channel to send on, content of size n, and the field the refusal names. Typed as
   * a Record over ContentLimit, so a cap added without a case here does not compile.
   */
  const CASES: Record<ContentLimit, { channel: ChannelKind; build: Build; field: string }> = {
    noteBody: { channel: ChannelKind.SMS, build: (n) => note('n'.repeat(n)), field: 'input.content.note.body' },
    mediaCaption: { channel: ChannelKind.WHATSAPP, build: (n) => media({ caption: 'c'.repeat(n) }), field: 'input.content.media.caption' },
    url: { channel: ChannelKind.WHATSAPP, build: (n) => media({ url: httpsUrl(n) }), field: 'input.content.media.url' },
    templateName: {
      channel: ChannelKind.WHATSAPP,
      build: (n) => ({ ...template, name: 'o'.repeat(n) }) as StoredContent,
      field: 'input.content.template.name',
    },
    templateLanguage: {
      channel: ChannelKind.WHATSAPP,
      // Longer than any code the pattern accepts: the cap answers first, with a length message.
      build: (n) => ({ ...template, language: n <= 15 ? 'pt_BR' : 'x'.repeat(n) }) as StoredContent,
      field: 'input.content.template.language',
    },
    templateComponents: {
      channel: ChannelKind.WHATSAPP,
      build: (n) =>
        tpl([{ type: 'header', parameters: [] }, { type: 'body', parameters: [] }, ...Array.from({ length: n - 2 }, (_, i) => button(i))]),
      field: 'input.content.template.components',
    },
    templateButtonSubType: {
      channel: ChannelKind.WHATSAPP,
      build: (n) => tpl([button(0, 'q'.repeat(n))]),
      field: 'input.content.template.components[0].subType',
    },
    templateParameters: {
      channel: ChannelKind.WHATSAPP,
      build: (n) => body(Array.from({ length: n }, () => ({ type: 'text', text: 'x' }))),
      field: 'input.content.template.components[0].parameters',
    },
    templateText: {
      channel: ChannelKind.WHATSAPP,
      build: (n) => body([{ type: 'text', text: 't'.repeat(n) }]),
      field: 'input.content.template.components[0].parameters[0].text',
    },
    templateFallbackValue: {
      channel: ChannelKind.WHATSAPP,
      build: (n) => body([{ type: 'currency', fallbackValue: 'f'.repeat(n), code: 'EUR', amount1000: 1 }]),
      field: 'input.content.template.components[0].parameters[0].currency.fallbackValue',
    },
    templateDateTime: {
      channel: ChannelKind.WHATSAPP,
      build: (n) => body([{ type: 'date_time', fallbackValue: 'May 1', isoDateTime: isoOf(n) }]),
      field: 'input.content.template.components[0].parameters[0].dateTime.isoDateTime',
    },
    cards: {
      channel: ChannelKind.MESSENGER,
      build: (n) =>
        ({ kind: ContentKind.RICH, cards: Array.from({ length: n }, () => ({ header: { title: 'Hi' }, actions: [] })) }) as StoredContent,
      field: 'input.content.rich.cards',
    },
    cardTitle: {
      channel: ChannelKind.MESSENGER,
      build: (n) => card({ header: { title: 'T'.repeat(n) } }),
      field: 'input.content.rich.cards[0].header.title',
    },
    cardBody: {
      channel: ChannelKind.MESSENGER,
      build: (n) => card({ body: { text: 'b'.repeat(n) } }),
      field: 'input.content.rich.cards[0].body.text',
    },
    cardFooter: {
      channel: ChannelKind.MESSENGER,
      build: (n) => card({ footer: { text: 'f'.repeat(n) } }),
      field: 'input.content.rich.cards[0].footer.text',
    },
    cardActions: {
      channel: ChannelKind.MESSENGER,
      build: (n) => card({ actions: Array.from({ length: n }, () => reply) }),
      field: 'input.content.rich.cards[0].actions',
    },
    actionLabel: {
      channel: ChannelKind.MESSENGER,
      build: (n) => card({ actions: [{ ...reply, label: 'L'.repeat(n) }] }),
      field: 'input.content.rich.cards[0].actions[0].label',
    },
    actionValue: {
      channel: ChannelKind.MESSENGER,
      build: (n) => card({ actions: [{ ...reply, value: 'v'.repeat(n) }] }),
      field: 'input.content.rich.cards[0].actions[0].value',
    },
  };

  for (const [limit, { channel, build, field }] of Object.entries(CASES) as [ContentLimit, (typeof CASES)[ContentLimit]][]) {
    test(`${limit}: ${CONTENT_LIMITS[limit]} passes, one more is BAD_USER_INPUT naming ${field}`, () => {
      const max = CONTENT_LIMITS[limit];
      assert.equal(verdict(channel, build(max)), 'ok');
      assert.deepEqual(verdict(channel, build(max + 1)), bad(field));
    });
  }

  test('the documented values', () => {
    assert.deepEqual(
      { ...CONTENT_LIMITS },
      {
        noteBody: 20_000,
        mediaCaption: 1024,
        url: 2048,
        templateName: 512,
        templateLanguage: 15,
        templateComponents: 10,
        templateButtonSubType: 32,
        templateParameters: 50,
        templateText: 1024,
        templateFallbackValue: 256,
        templateDateTime: 64,
        cards: 10,
        cardTitle: 80,
        cardBody: 1024,
        cardFooter: 60,
        cardActions: 3,
        actionLabel: 20,
        actionValue: 2000,
      },
    );
  });

  test('lengths count characters (code points), not UTF-16 units', () => {
    assert.equal(verdict(ChannelKind.SMS, note('😀'.repeat(CONTENT_LIMITS.noteBody))), 'ok');
    assert.deepEqual(verdict(ChannelKind.SMS, note('😀'.repeat(CONTENT_LIMITS.noteBody + 1))), bad('input.content.note.body'));
  });

  test('a 900 KB note is refused, with the cap in the message', () => {
    const violations = malformedContent(note('x'.repeat(900 * 1024)));
    assert.deepEqual(violations, [{ field: 'input.content.note.body', message: 'must be at most 20000 characters.' }]);
  });

  test('an oversized list is one violation on the list, not one per item', () => {
    const huge = tpl([
      { type: 'header', parameters: [] },
      { type: 'body', parameters: [] },
      button(0),
      { type: 'button', subType: 'url', index: 1, parameters: Array.from({ length: 20_000 }, () => ({ type: 'text', text: ' ' })) },
    ]);
    const violations = malformedContent(huge);
    assert.deepEqual(violations, [
      { field: 'input.content.template.components[3].parameters', message: 'must hold at most 50 parameters; got 20000.' },
    ]);
  });
});
