import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from '../channel-adapter';

/**
 * What every Meta Graph API provider (WhatsApp Cloud, Messenger, Instagram) shares: webhooks signed
 * with the app secret in `X-Hub-Signature-256`, the `hub.challenge` subscription handshake, and
 * how a failed `fetch` to graph.facebook.com is told apart (never reached vs. answer lost).
 * Source: Meta "Webhooks > Getting started" (verification requests and event notifications).
 */

/** Computes the `X-Hub-Signature-256` value Meta sends with a webhook body: `sha256=` + HMAC-SHA256(app secret, raw body). */
export function metaSignature(appSecret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Whether `X-Hub-Signature-256` signs this exact body with the app secret (constant time; false without a secret). */
export function verifyMetaSignature(appSecret: string, rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
  const given = headerValue(headers, 'x-hub-signature-256');
  if (!appSecret || !given || !/^sha256=[0-9a-f]{64}$/i.test(given)) return false;
  const expected = Buffer.from(metaSignature(appSecret, rawBody));
  return timingSafeEqual(expected, Buffer.from(given.toLowerCase()));
}

/**
 * Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
 * the challenge to echo when the verify token matches ours, otherwise null (refused). An inbox
 * without a verify token refuses every handshake.
 */
export function answerMetaSubscription(verifyToken: string | null, query: Record<string, unknown>): string | null {
  if (!verifyToken || query['hub.mode'] !== 'subscribe' || !sameSecret(query['hub.verify_token'], verifyToken)) return null;
  return typeof query['hub.challenge'] === 'string' ? query['hub.challenge'] : null;
}

/** Compares a presented secret with ours in constant time (only the length can tell them apart early). */
export function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Connection errors raised before a request could be written: Meta cannot have the message. */
const NOT_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The error code of a failed fetch (undici puts the socket's error in `cause`). */
function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  const code = cause?.code ?? (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a fetch failed before the request left us (so it is safe to send again at once). */
export function neverReached(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && NOT_REACHED.has(code);
}

/** A failed fetch, in words, with its socket error code when there is one. */
export function networkCause(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${message} (${code})` : message;
}
