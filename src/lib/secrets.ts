import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encryption of stored secrets (provider tokens, app secrets): AES-256-GCM with a random 12-byte
 * IV per value. Each value names the key it was sealed with (`keyId`), so a key can be rotated:
 * the new key seals, older keys still open what they sealed until it is re-encrypted.
 *
 * Envelope: `sbenc:v1:<keyId>:<iv>:<ciphertext>:<tag>` (base64url parts). Pure: keys are passed in.
 */

/** One 32-byte key and its id (derived from the key, so the same key always has the same id). */
export interface SecretKey {
  id: string;
  key: Buffer;
}

/** The key that seals new values, and older keys that may still open stored ones. */
export interface SecretKeyring {
  current: SecretKey;
  previous: readonly SecretKey[];
}

/** Why a stored secret could not be opened. */
export class SecretDecryptionError extends Error {
  constructor(
    message: string,
    readonly reason: 'malformed' | 'unknown_key' | 'tampered',
  ) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

const PREFIX = 'sbenc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The id of a key: not secret, only tells keys apart (a prefix of a domain-separated SHA-256). */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('switchboard-secret-key-id\0').update(key).digest('hex').slice(0, 12);
}

/** Reads a base64 (or base64url) 32-byte key, e.g. SECRETS_KEY; throws naming `name` otherwise. */
export function parseSecretKey(name: string, raw: string): SecretKey {
  const key = Buffer.from(raw.trim(), raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32)
    throw new Error(`${name} must be 32 bytes encoded in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`);
  return { id: keyIdOf(key), key };
}

/** A fresh random key, base64-encoded (what is written to the key file). */
export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}

/** A keyring from the current key and any previous ones (duplicates of the current key are dropped). */
export function keyring(current: SecretKey, previous: readonly SecretKey[] = []): SecretKeyring {
  return { current, previous: previous.filter((k) => k.id !== current.id) };
}

/** Whether a stored value is an envelope (as opposed to a legacy plaintext value). */
export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The key id an envelope was sealed with, or null when the value is not an envelope. */
export function sealedWith(value: string): string | null {
  return isSealed(value) ? (value.slice(PREFIX.length).split(':')[0] ?? null) : null;
}

/**
 * Seals `plaintext` with the current key. `context` (e.g. `inboxId/accessToken`) is authenticated
 * but not stored: a value copied to another inbox or field does not open there.
 */
export function sealSecret(ring: SecretKeyring, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', ring.current.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [ring.current.id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')];
  return PREFIX + parts.join(':');
}

/** Opens an envelope with whichever key of the ring sealed it. @throws SecretDecryptionError */
export function openSecret(ring: SecretKeyring, envelope: string, context: string): string {
  if (!isSealed(envelope)) throw new SecretDecryptionError('Not an encrypted secret.', 'malformed');
  const parts = envelope.slice(PREFIX.length).split(':');
  if (parts.length !== 4) throw new SecretDecryptionError('Malformed encrypted secret.', 'malformed');
  const [keyId, ivText, ctText, tagText] = parts;
  const key = [ring.current, ...ring.previous].find((k) => k.id === keyId);
  if (!key) {
    throw new SecretDecryptionError(
      `This secret was encrypted with key ${keyId}, which is neither SECRETS_KEY nor in SECRETS_KEY_PREVIOUS.`,
      'unknown_key',
    );
  }
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptionError('Malformed encrypted secret.', 'malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptionError('An encrypted secret failed its integrity check (tampered, or moved to another field).', 'tampered');
  }
}

/** A stored value in the clear: legacy plaintext is returned as is, envelopes are opened. */
export function revealSecret(ring: SecretKeyring, stored: string, context: string): string {
  return isSealed(stored) ? openSecret(ring, stored, context) : stored;
}

/**
 * What may be shown of a secret: its last 4 characters, only when it is long enough (12+) that
 * they do not give much of it away.
 */
export function secretHint(plaintext: string): string | null {
  const chars = [...plaintext];
  return chars.length >= 12 ? `…${chars.slice(-4).join('')}` : null;
}
