import { createHash, randomBytes } from 'node:crypto';

/** Token format: `sb_<40 base62-ish chars>`. The prefix makes leaked tokens easy to grep for. */
export const TOKEN_PREFIX = 'sb_';

/** A fresh random bearer token (shown once, never stored). */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(30).toString('base64url');
}

/** What we store and look tokens up by. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `Bearer sb_…` → `sb_…`; null when the header is absent or not a bearer token. */
export function bearerFrom(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
