import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSecretKeyring, SECRETS_KEY_FILE } from '../../src/lib/secret-key-file';
import {
  generateSecretKey,
  keyring,
  openSecret,
  parseSecretKey,
  revealSecret,
  sealedWith,
  sealSecret,
  SecretDecryptionError,
  secretHint,
} from '../../src/lib/secrets';

const keyA = parseSecretKey('A', generateSecretKey());
const keyB = parseSecretKey('B', generateSecretKey());

test('a sealed secret opens to the same text, and sealing twice gives different ciphertexts (random IV)', () => {
  const ring = keyring(keyA);
  const one = sealSecret(ring, 'EAAG-token-ü-1234', 'inb_1/accessToken');
  const two = sealSecret(ring, 'EAAG-token-ü-1234', 'inb_1/accessToken');
  assert.notEqual(one, two);
  assert.ok(!one.includes('EAAG'), 'the envelope does not carry the plaintext');
  assert.equal(openSecret(ring, one, 'inb_1/accessToken'), 'EAAG-token-ü-1234');
  assert.equal(sealedWith(one), keyA.id);
});

test('a tampered envelope, or one moved to another inbox or field, fails the integrity check', () => {
  const ring = keyring(keyA);
  const sealed = sealSecret(ring, 'secret-value', 'inb_1/accessToken');
  const parts = sealed.split(':');
  const ct = Buffer.from(parts[4], 'base64url');
  ct[0] ^= 1;
  parts[4] = ct.toString('base64url');
  assert.throws(
    () => openSecret(ring, parts.join(':'), 'inb_1/accessToken'),
    (e: unknown) => (e as SecretDecryptionError).reason === 'tampered',
  );
  assert.throws(
    () => openSecret(ring, sealed, 'inb_2/accessToken'),
    (e: unknown) => (e as SecretDecryptionError).reason === 'tampered',
  );
  assert.throws(
    () => openSecret(ring, sealed, 'inb_1/appSecret'),
    (e: unknown) => (e as SecretDecryptionError).reason === 'tampered',
  );
  assert.throws(
    () => openSecret(ring, 'sbenc:v1:abc', 'x'),
    (e: unknown) => (e as SecretDecryptionError).reason === 'malformed',
  );
});

test('a wrong key is refused by name; a previous key still opens what it sealed', () => {
  const sealedWithA = sealSecret(keyring(keyA), 'old-secret', 'ctx');
  assert.throws(
    () => openSecret(keyring(keyB), sealedWithA, 'ctx'),
    (e: unknown) => e instanceof SecretDecryptionError && e.reason === 'unknown_key' && e.message.includes(keyA.id),
  );
  const rotated = keyring(keyB, [keyA]);
  assert.equal(openSecret(rotated, sealedWithA, 'ctx'), 'old-secret');
  assert.equal(sealedWith(sealSecret(rotated, 'new', 'ctx')), keyB.id, 'new values are sealed with the current key');
});

test('legacy plaintext values are read as they are', () => {
  assert.equal(revealSecret(keyring(keyA), 'plain-legacy-token', 'ctx'), 'plain-legacy-token');
});

test('a key must be 32 bytes of base64', () => {
  assert.throws(() => parseSecretKey('SECRETS_KEY', Buffer.alloc(16).toString('base64')), /SECRETS_KEY must be 32 bytes/);
  assert.equal(parseSecretKey('k', Buffer.alloc(32, 7).toString('base64url')).key.length, 32);
});

test('hints show the last 4 characters of long secrets only', () => {
  assert.equal(secretHint('EAAGabcdefgh1234'), '…1234');
  assert.equal(secretHint('short-tok'), null);
});

test('without SECRETS_KEY a key is generated into the data folder (0600) on first start and reused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-secrets-'));
  try {
    const first = loadSecretKeyring({ key: null, previousKeys: [] }, dir);
    const file = path.join(dir, SECRETS_KEY_FILE);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const second = loadSecretKeyring({ key: null, previousKeys: [] }, dir);
    assert.equal(second.current.id, first.current.id);
    const explicit = loadSecretKeyring({ key: generateSecretKey(), previousKeys: [fs.readFileSync(file, 'utf8')] }, dir);
    assert.notEqual(explicit.current.id, first.current.id);
    assert.deepEqual(
      explicit.previous.map((k) => k.id),
      [first.current.id],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
