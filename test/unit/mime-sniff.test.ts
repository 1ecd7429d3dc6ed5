import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_UPLOAD_LIMITS } from '../../src/config';
import { AppError, ErrorCode } from '../../src/lib/errors';
import { MediaKind } from '../../src/modules/message/content-kind';
import { SNIFF_BYTES, sniffMime } from '../../src/modules/media/mime-sniff';
import { UploadInspector } from '../../src/modules/media/upload-inspector';

const bytes = (...parts: (string | number[] | Uint8Array)[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** Pads a header out to a realistic head so detection cannot rely on the input being short. */
const padded = (head: Uint8Array, fill = 0x00): Uint8Array => Buffer.concat([head, Buffer.alloc(SNIFF_BYTES - head.length, fill)]);

/** A ZIP local file header for `name` followed by some "compressed" bytes. */
const zipEntry = (name: string) =>
  bytes([0x50, 0x4b, 0x03, 0x04], [20, 0, 0, 0, 8, 0], Array(16).fill(0), [name.length, 0, 0, 0], name, [0x8d, 0x90, 0x01, 0x02]);

const sniff = (b: Uint8Array, complete = false) => sniffMime(b, complete);
const mime = (b: Uint8Array, complete = false) => sniff(b, complete)?.mimeType ?? null;

describe('sniffMime: images', () => {
  test('JPEG (JFIF and Exif)', () => {
    assert.deepEqual(sniff(padded(bytes([0xff, 0xd8, 0xff, 0xe0], [0, 16], 'JFIF'))), {
      mimeType: 'image/jpeg',
      mediaKind: MediaKind.IMAGE,
    });
    assert.equal(mime(padded(bytes([0xff, 0xd8, 0xff, 0xe1], [0, 16], 'Exif'))), 'image/jpeg');
  });
  test('PNG', () => {
    assert.deepEqual(sniff(padded(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], 'IHDR'))), {
      mimeType: 'image/png',
      mediaKind: MediaKind.IMAGE,
    });
  });
  test('GIF87a and GIF89a', () => {
    assert.equal(mime(padded(bytes('GIF87a', [1, 0, 1, 0]))), 'image/gif');
    assert.equal(mime(padded(bytes('GIF89a', [1, 0, 1, 0]))), 'image/gif');
  });
  test('WebP is an image; another RIFF (WAVE) is not accepted', () => {
    assert.deepEqual(sniff(padded(bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '))), { mimeType: 'image/webp', mediaKind: MediaKind.IMAGE });
    assert.equal(mime(padded(bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '))), null);
  });
  test('a PNG signature missing its last byte is not a PNG', () => {
    assert.equal(mime(padded(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00]))), null);
  });
});

describe('sniffMime: ISO media (ftyp brands)', () => {
  const ftyp = (brand: string) => padded(bytes([0, 0, 0, 0x18], 'ftyp', brand, [0, 0, 0, 0], 'isom'));
  test('mp4 brands are video/mp4', () => {
    for (const brand of ['isom', 'mp42', 'mp41', 'avc1', 'M4V ']) {
      assert.deepEqual(sniff(ftyp(brand)), { mimeType: 'video/mp4', mediaKind: MediaKind.VIDEO }, brand);
    }
  });
  test('3GPP and 3GPP2', () => {
    assert.deepEqual(sniff(ftyp('3gp5')), { mimeType: 'video/3gpp', mediaKind: MediaKind.VIDEO });
    assert.equal(mime(ftyp('3gp4')), 'video/3gpp');
    assert.equal(mime(ftyp('3g2a')), 'video/3gpp2');
  });
  test('M4A is audio, QuickTime is video', () => {
    assert.deepEqual(sniff(ftyp('M4A ')), { mimeType: 'audio/mp4', mediaKind: MediaKind.AUDIO });
    assert.equal(mime(ftyp('qt  ')), 'video/quicktime');
  });
  test('HEIC/AVIF (also ftyp) are refused', () => {
    assert.equal(mime(ftyp('heic')), null);
    assert.equal(mime(ftyp('avif')), null);
  });
});

describe('sniffMime: audio', () => {
  const ogg = (codec: string) => padded(bytes('OggS', [0, 2], Array(22).fill(0), codec));
  test('Ogg Opus / Vorbis are audio, Ogg Theora is video', () => {
    assert.deepEqual(sniff(ogg('OpusHead')), { mimeType: 'audio/ogg', mediaKind: MediaKind.AUDIO });
    assert.equal(mime(ogg('\x01vorbis')), 'audio/ogg');
    assert.deepEqual(sniff(ogg('\x80theora')), { mimeType: 'video/ogg', mediaKind: MediaKind.VIDEO });
  });
  test('MP3 with an ID3 tag, and a bare MPEG-1 Layer III frame', () => {
    assert.deepEqual(sniff(padded(bytes('ID3', [4, 0, 0, 0, 0, 0, 0]))), { mimeType: 'audio/mpeg', mediaKind: MediaKind.AUDIO });
    assert.equal(mime(padded(bytes([0xff, 0xfb, 0x90, 0x64]))), 'audio/mpeg');
  });
  test('frame sync with a reserved bitrate or a reserved version is not MP3', () => {
    assert.equal(mime(padded(bytes([0xff, 0xfb, 0xf0, 0x64]))), null);
    assert.equal(mime(padded(bytes([0xff, 0xeb, 0x90, 0x64]))), null);
  });
  test('AAC in ADTS frames', () => {
    assert.deepEqual(sniff(padded(bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]))), {
      mimeType: 'audio/aac',
      mediaKind: MediaKind.AUDIO,
    });
    assert.equal(mime(padded(bytes([0xff, 0xf9, 0x50, 0x80]))), 'audio/aac');
  });
  test('AMR narrow-band and wide-band', () => {
    assert.equal(mime(padded(bytes('#!AMR\n', [0x3c, 0x48]))), 'audio/amr');
    assert.equal(mime(padded(bytes('#!AMR-WB\n', [0x2c]))), 'audio/amr-wb');
  });
});

describe('sniffMime: documents', () => {
  test('PDF', () => {
    assert.deepEqual(sniff(padded(bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'))), { mimeType: 'application/pdf', mediaKind: MediaKind.DOCUMENT });
  });
  test('Office Open XML from the entry names after [Content_Types].xml', () => {
    const office = (part: string) => padded(bytes(zipEntry('[Content_Types].xml'), zipEntry('_rels/.rels'), zipEntry(part)));
    assert.deepEqual(sniff(office('word/document.xml')), {
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      mediaKind: MediaKind.DOCUMENT,
    });
    assert.equal(mime(office('xl/workbook.xml')), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.equal(mime(office('ppt/presentation.xml')), 'application/vnd.openxmlformats-officedocument.presentationml.presentation');
  });
  test('any other ZIP is an application/zip document', () => {
    assert.deepEqual(sniff(padded(bytes(zipEntry('photos/a.jpg'), zipEntry('notes.txt')))), {
      mimeType: 'application/zip',
      mediaKind: MediaKind.DOCUMENT,
    });
    // A word/ entry without [Content_Types].xml is not OOXML.
    assert.equal(mime(padded(bytes(zipEntry('word/readme.txt')))), 'application/zip');
  });
});

describe('sniffMime: plain text', () => {
  test('ASCII and UTF-8 text with tabs and CRLF is text/plain', () => {
    assert.deepEqual(sniff(Buffer.from('name\tqty\r\nwidget\t3\r\n'), true), { mimeType: 'text/plain', mediaKind: MediaKind.DOCUMENT });
    assert.equal(mime(Buffer.from('Zażółć gęślą jaźń — 日本語 🙂\n'), true), 'text/plain');
    assert.equal(mime(Buffer.from('\ufeffwith a byte-order mark'), true), 'text/plain');
  });
  test('a multi-byte character cut off by the sniff window is still text; at the real end it is not', () => {
    const cut = Buffer.from('a'.repeat(SNIFF_BYTES - 1) + 'ż').subarray(0, SNIFF_BYTES);
    assert.equal(mime(cut, false), 'text/plain');
    assert.equal(mime(Buffer.from([0x61, 0x62, 0xc5]), true), null);
  });
  test('NUL bytes, other control characters and invalid UTF-8 are not text', () => {
    assert.equal(mime(Buffer.from('abc\u0000def'), true), null);
    assert.equal(mime(Buffer.from('\u001b[31mred\u001b[0m'), true), null);
    assert.equal(mime(Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x68]), true), null);
  });
});

describe('sniffMime: refusals', () => {
  test('a Windows executable (MZ) is refused even though it starts with printable bytes', () => {
    assert.equal(sniff(padded(bytes('MZ', [0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff]))), null);
  });
  test('ELF, gzip and random binary are refused', () => {
    assert.equal(mime(padded(bytes([0x7f], 'ELF', [2, 1, 1]))), null);
    assert.equal(mime(padded(bytes([0x1f, 0x8b, 0x08, 0x00]))), null);
    assert.equal(mime(Buffer.from([0x00, 0x13, 0x37, 0xc0, 0xde]), true), null);
  });
  test('empty input is refused', () => {
    assert.equal(sniff(new Uint8Array(0), true), null);
  });
});

/** Feeds `total` bytes of `head` followed by filler through an inspector, counting chunks read. */
async function inspect(head: Uint8Array, total: number, limits = DEFAULT_UPLOAD_LIMITS, chunk = 1024) {
  let produced = 0;
  const source = Readable.from(
    (function* () {
      const all = Buffer.concat([head, Buffer.alloc(Math.max(0, total - head.length), 0x41)]);
      for (let i = 0; i < all.length; i += chunk) {
        produced += Math.min(chunk, all.length - i);
        yield all.subarray(i, i + chunk);
      }
    })(),
    { objectMode: false },
  );
  const inspector = new UploadInspector(limits);
  let written = 0;
  const sink = new Writable({
    write(c: Buffer, _e, done) {
      written += c.length;
      done();
    },
  });
  const error = await pipeline(source, inspector, sink).then(
    () => null,
    (e: unknown) => e,
  );
  return { error, produced, written, result: error ? null : inspector.result() };
}

const PNG_SIG = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('UploadInspector', () => {
  test('passes every byte through and reports type, size and SHA-256', async () => {
    const { error, written, result } = await inspect(PNG_SIG, 10_000);
    assert.equal(error, null);
    assert.equal(written, 10_000);
    assert.equal(result?.mimeType, 'image/png');
    assert.equal(result?.size, 10_000);
    assert.match(result?.sha256 ?? '', /^[0-9a-f]{64}$/);
  });
  test('stops the stream as soon as the kind limit is passed, not at the end of the file', async () => {
    const limits = { ...DEFAULT_UPLOAD_LIMITS, image: 20_000 };
    const { error, produced } = await inspect(PNG_SIG, 1_000_000, limits);
    assert.ok(error instanceof AppError);
    assert.equal(error.code, ErrorCode.PAYLOAD_TOO_LARGE);
    assert.ok(produced < 40_000, `read ${produced} bytes of a 1 MB file with a 20 kB limit`);
  });
  test('the limit is the one of the sniffed kind', async () => {
    const limits = { ...DEFAULT_UPLOAD_LIMITS, image: 5000, document: 50_000 };
    assert.equal((await inspect(Buffer.from('%PDF-1.4\n'), 20_000, limits)).error, null);
    assert.equal(((await inspect(PNG_SIG, 20_000, limits)).error as AppError).code, ErrorCode.PAYLOAD_TOO_LARGE);
  });
  test('unknown bytes are refused before anything is passed downstream', async () => {
    const { error, written } = await inspect(bytes('MZ', [0x90, 0]), 100_000);
    assert.equal((error as AppError).code, ErrorCode.UNSUPPORTED_CONTENT);
    assert.equal(written, 0);
  });
  test('a file shorter than the sniff window is judged whole; an empty one is bad input', async () => {
    const short = await inspect(Buffer.from('hello\n'), 6);
    assert.equal(short.result?.mimeType, 'text/plain');
    assert.equal(short.written, 6);
    assert.equal(((await inspect(new Uint8Array(0), 0)).error as AppError).code, ErrorCode.BAD_USER_INPUT);
  });
});
