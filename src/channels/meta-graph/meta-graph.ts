import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sameSecret } from '../../lib/same-secret';
import { headerValue } from '../channel-adapter';

/**
 * What every Meta Graph API provider (WhatsApp Cloud, Messenger, Instagram) shares: webhooks signed
 * with the app secret in `X-Hub-Signature-256` and the `hub.challenge` subscription handshake.
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
  return sameSecret(given.toLowerCase(), metaSignature(appSecret, rawBody));
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

/**
 * One Send API call, `POST {baseUrl}/{id}/messages` with a JSON body, the token as a Bearer header
 * (kept out of URLs and logs). Shared by WhatsApp Cloud and the Messenger Platform, whose send
 * endpoints differ only in the id. Rejects as `fetch` does; the caller classifies that.
 */
export function postGraphMessages(
  fetchImpl: typeof fetch,
  graph: { baseUrl: string; accessToken: string },
  id: string,
  body: unknown,
  signal: AbortSignal,
): Promise<Response> {
  return fetchImpl(`${graph.baseUrl}/${encodeURIComponent(id)}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${graph.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}
