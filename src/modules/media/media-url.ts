import { createHmac, timingSafeEqual } from 'node:crypto';

/** The path media bytes are served under. */
export const MEDIA_ROUTE = '/media';

function signature(secret: string, mediaId: string, exp: number): string {
  return createHmac('sha256', secret).update(`media:${mediaId}:${exp}`).digest('base64url');
}

/** `/media/<id>?exp=<unix seconds>&sig=<HMAC-SHA256(id, exp)>`: readable by anyone until `exp`. */
export function signedMediaPath(secret: string, mediaId: string, exp: number): string {
  return `${MEDIA_ROUTE}/${encodeURIComponent(mediaId)}?exp=${exp}&sig=${signature(secret, mediaId, exp)}`;
}

/** A signed path valid for `ttlSeconds` from `now`. */
export function mediaUrlFor(secret: string, ttlSeconds: number, mediaId: string, now: Date = new Date()): string {
  return signedMediaPath(secret, mediaId, Math.floor(now.getTime() / 1000) + ttlSeconds);
}

/** True when `sig` is this server's signature for (mediaId, exp) and `exp` has not passed. */
export function verifyMediaSignature(secret: string, mediaId: string, exp: unknown, sig: unknown, now: Date = new Date()): boolean {
  if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp)) return false;
  const expires = Number(exp);
  if (expires * 1000 <= now.getTime()) return false;
  const expected = Buffer.from(signature(secret, mediaId, expires));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
