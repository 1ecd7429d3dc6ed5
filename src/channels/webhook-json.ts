import { WebhookPayloadError } from './channel-adapter';

/**
 * Total readers for webhook JSON of unknown shape: a missing or mistyped field reads as empty, so
 * the wire parsers can walk a provider's payload without a cast or a throw at every step and
 * decide themselves which absences are errors.
 */

/** A JSON object as parsed from a webhook body. */
export type Json = Record<string, unknown>;

/** `v` when it is a JSON object, else `{}`. */
export const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** `v` when it is an array, else `[]`. */
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** `v` when it is a non-empty string, else null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** A webhook body parsed as JSON (anything but an object reads as `{}`); not JSON is a {@link WebhookPayloadError}. */
export function jsonBody(rawBody: Buffer): Json {
  try {
    return obj(JSON.parse(rawBody.toString('utf8')));
  } catch {
    throw new WebhookPayloadError('body is not JSON');
  }
}
