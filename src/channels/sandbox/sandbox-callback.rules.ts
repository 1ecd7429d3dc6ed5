/**
 * What the sandbox does after POSTing one status callback, as a real provider does with webhooks:
 * a 2xx is done; any other answer from the server is final too (it refused the event, sending it
 * again would not change that); no answer or a 5xx is retried with backoff, a bounded number of
 * times, after which that status is given up on and the next one goes out.
 */
export type CallbackAnswer = 'ok' | 'refused' | 'unavailable';

/** How many times one status callback is POSTed before the sandbox gives up on it. */
export const CALLBACK_MAX_TRIES = 10;
/** Backoff before retry n (1-based) is `CALLBACK_RETRY_BASE_MS * 2^(n-1)`, capped. */
export const CALLBACK_RETRY_BASE_MS = 25;
export const CALLBACK_RETRY_MAX_MS = 30_000;

/** Classifies the HTTP status a callback POST got (0: the request itself failed). */
export function callbackAnswer(httpStatus: number): CallbackAnswer {
  if (httpStatus >= 200 && httpStatus < 300) return 'ok';
  if (httpStatus === 0 || httpStatus >= 500) return 'unavailable';
  return 'refused';
}

/** Where a callback row goes next: to its next step (or done), or the same step again later. */
export type CallbackNext = { kind: 'advance' } | { kind: 'retry'; attempts: number; delayMs: number };

const NEXT: Readonly<Record<CallbackAnswer, (attempts: number) => CallbackNext>> = {
  ok: () => ({ kind: 'advance' }),
  refused: () => ({ kind: 'advance' }),
  unavailable: (attempts) =>
    attempts + 1 >= CALLBACK_MAX_TRIES
      ? { kind: 'advance' }
      : { kind: 'retry', attempts: attempts + 1, delayMs: Math.min(CALLBACK_RETRY_MAX_MS, CALLBACK_RETRY_BASE_MS * 2 ** attempts) },
};

/** The next state of a callback row whose current step got `answer` after `attempts` earlier failures (pure). */
export function nextCallbackState(answer: CallbackAnswer, attempts: number): CallbackNext {
  return NEXT[answer](attempts);
}
