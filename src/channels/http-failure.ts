import type { SendFailure } from './channel-adapter';

/**
 * How every HTTP provider adapter reads a `fetch` that threw instead of answering. The line that
 * matters is whether the request left us: a connection refused or a name that did not resolve
 * means the provider cannot have the message (safe to send again at once); anything later (a
 * reset, a timeout) may have lost only the answer, so the send is `uncertain`.
 */

/** Connection errors raised before a request could be written: the provider cannot have the message. */
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

/**
 * A send whose `fetch` threw (not aborted by us): `temporary`, and `uncertain` unless it never
 * reached `provider` (the name users read in the reason, e.g. "Twilio").
 */
export function fetchFailure(provider: string, err: unknown): SendFailure {
  const reached = !neverReached(err);
  return {
    kind: 'temporary',
    ...(reached ? { uncertain: true } : {}),
    code: 'network',
    reason: `${provider} ${reached ? 'did not answer' : 'could not be reached'}: ${networkCause(err)}`,
  };
}

/** A send refused before any call because the inbox lacks a credential (`reason` names which). */
export function notConfigured(reason: string): { ok: false; failure: SendFailure } {
  return { ok: false, failure: { kind: 'auth', code: 'not_configured', reason } };
}

/**
 * A 2xx whose body names no message id (cut or garbled on the way): the provider took the message,
 * so it is `uncertain`, never resent at once; its status callback will name the id.
 */
export function noMessageId(provider: string, idName = 'message id'): SendFailure {
  return {
    kind: 'temporary',
    uncertain: true,
    code: 'bad_response',
    reason: `${provider} accepted the request but returned no ${idName}.`,
  };
}
