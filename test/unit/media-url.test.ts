import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mediaUrlFor, signedMediaPath, verifyMediaSignature } from '../../src/modules/media/media-url';
import { contentDisposition } from '../../src/modules/media/media.router';
import { sanitizeFilename } from '../../src/modules/media/media.service';

const SECRET = 'test-secret';
const ID = 'mda_01HV8Z2G8Z3H5M9K2S6A1N0P4Q';
const NOW = new Date('2026-05-01T12:00:00Z');
const params = (url: string) => new URL(url, 'http://x').searchParams;

describe('signed media URLs', () => {
  test('a fresh URL verifies until its expiry second, not after', () => {
    const url = mediaUrlFor(SECRET, 60, ID, NOW);
    const q = params(url);
    assert.equal(q.get('exp'), String(NOW.getTime() / 1000 + 60));
    assert.equal(verifyMediaSignature(SECRET, ID, q.get('exp'), q.get('sig'), NOW), true);
    assert.equal(verifyMediaSignature(SECRET, ID, q.get('exp'), q.get('sig'), new Date(NOW.getTime() + 59_999)), true);
    assert.equal(verifyMediaSignature(SECRET, ID, q.get('exp'), q.get('sig'), new Date(NOW.getTime() + 60_000)), false);
  });
  test('another secret, id or expiry does not verify; malformed parameters do not throw', () => {
    const q = params(signedMediaPath(SECRET, ID, 2_000_000_000));
    assert.equal(verifyMediaSignature('other', ID, q.get('exp'), q.get('sig'), NOW), false);
    assert.equal(verifyMediaSignature(SECRET, ID.replace('Q', 'R'), q.get('exp'), q.get('sig'), NOW), false);
    assert.equal(verifyMediaSignature(SECRET, ID, '2000000001', q.get('sig'), NOW), false);
    assert.equal(verifyMediaSignature(SECRET, ID, undefined, q.get('sig'), NOW), false);
    assert.equal(verifyMediaSignature(SECRET, ID, ['2000000000'], q.get('sig'), NOW), false);
    assert.equal(verifyMediaSignature(SECRET, ID, '2e9', q.get('sig'), NOW), false);
    assert.equal(verifyMediaSignature(SECRET, ID, q.get('exp'), 'short', NOW), false);
  });
});

describe('filenames', () => {
  test('sanitizeFilename keeps the last path segment and drops control characters', () => {
    assert.equal(sanitizeFilename('C:\\fakepath\\photo.png'), 'photo.png');
    assert.equal(sanitizeFilename('../../etc/passwd'), 'passwd');
    assert.equal(sanitizeFilename('a\r\nb\u0000.txt'), 'ab.txt');
    assert.equal(sanitizeFilename('  '), 'upload');
    assert.equal(sanitizeFilename('..'), 'upload');
    assert.equal(sanitizeFilename(undefined), 'upload');
    assert.equal([...sanitizeFilename('é'.repeat(400))].length, 255);
  });
  test('contentDisposition quotes an ASCII fallback and carries the exact name in filename*', () => {
    assert.equal(contentDisposition('report.pdf'), `inline; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    assert.equal(
      contentDisposition('a "quoted"\\name 100%.pdf'),
      `inline; filename="a _quoted__name 100_.pdf"; filename*=UTF-8''a%20%22quoted%22%5Cname%20100%25.pdf`,
    );
    assert.equal(contentDisposition("it's (ok)*.txt"), `inline; filename="it's (ok)*.txt"; filename*=UTF-8''it%27s%20%28ok%29%2A.txt`);
    assert.equal(contentDisposition('日本.txt'), `inline; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`);
  });
});
