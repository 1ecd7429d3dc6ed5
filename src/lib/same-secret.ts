import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret or signature with ours in constant time (only the length can tell
 * them apart early). Anything but a string is refused, so callers can pass header or query values
 * as they come.
 */
export function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
