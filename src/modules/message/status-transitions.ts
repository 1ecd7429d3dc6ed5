import { DeliveryStatus } from './delivery-status';

/**
 * What to do with a status update:
 * - `apply`: store it;
 * - `ignore`: drop it quietly; it is stale or a duplicate (providers retry webhooks and deliver
 *   them out of order, so "delivered" arriving after "read" is normal, not an error);
 * - `reject`: the caller asked for something that cannot happen; surface it as an error.
 */
export type Transition = 'apply' | 'ignore' | 'reject';

/**
 * Position on the happy path PENDING → SENT → DELIVERED → READ. FAILED is off that path and gets
 * -1 so no "higher rank wins" comparison can ever treat it as progress; decisions come from
 * {@link STATUS_TRANSITIONS}, the ranks are for ordering and display only.
 */
export const STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = {
  [DeliveryStatus.PENDING]: 0,
  [DeliveryStatus.SENT]: 1,
  [DeliveryStatus.DELIVERED]: 2,
  [DeliveryStatus.READ]: 3,
  [DeliveryStatus.FAILED]: -1,
};

/** Statuses after which nothing changes on its own (FAILED can still be retried explicitly). */
const TERMINAL: Readonly<Record<DeliveryStatus, boolean>> = {
  [DeliveryStatus.PENDING]: false,
  [DeliveryStatus.SENT]: false,
  [DeliveryStatus.DELIVERED]: false,
  [DeliveryStatus.READ]: true,
  [DeliveryStatus.FAILED]: true,
};

const P = DeliveryStatus.PENDING;
const S = DeliveryStatus.SENT;
const D = DeliveryStatus.DELIVERED;
const R = DeliveryStatus.READ;
const F = DeliveryStatus.FAILED;

/**
 * `STATUS_TRANSITIONS[from][to]` for ordinary status updates (provider callbacks, send results).
 * Spelled out in full rather than derived from ranks so every pair is a visible, reviewed choice.
 *
 * Notable choices: skipping forward is fine (a provider may never report SENT); READ → FAILED is
 * ignored because a read message was evidently delivered, whatever a late error says; nothing
 * leaves FAILED here, only {@link decideTransition} with `retry` can, or with `uncertainFailure`
 * when the failure was only that no answer came ({@link FROM_UNCERTAIN_FAILURE}).
 */
export const STATUS_TRANSITIONS: Readonly<Record<DeliveryStatus, Readonly<Record<DeliveryStatus, Transition>>>> = {
  [P]: { [P]: 'ignore', [S]: 'apply', [D]: 'apply', [R]: 'apply', [F]: 'apply' },
  [S]: { [P]: 'ignore', [S]: 'ignore', [D]: 'apply', [R]: 'apply', [F]: 'apply' },
  [D]: { [P]: 'ignore', [S]: 'ignore', [D]: 'ignore', [R]: 'apply', [F]: 'apply' },
  [R]: { [P]: 'ignore', [S]: 'ignore', [D]: 'ignore', [R]: 'ignore', [F]: 'ignore' },
  [F]: { [P]: 'ignore', [S]: 'ignore', [D]: 'ignore', [R]: 'ignore', [F]: 'ignore' },
};

/**
 * An explicit retry always re-queues the message as PENDING; this says what that does from each
 * status. Retrying something already PENDING is a harmless double-click (or two agents racing),
 * so it is ignored; retrying a message that is on its way or arrived is a caller bug.
 */
const RETRY_FROM: Readonly<Record<DeliveryStatus, Transition>> = {
  [P]: 'ignore',
  [S]: 'reject',
  [D]: 'reject',
  [R]: 'reject',
  [F]: 'apply',
};

/**
 * Ordinary updates of a message that is FAILED only because we never learnt whether the provider
 * accepted it (timeouts, lost answers, crashes, with nothing reported in the settle window). Any
 * evidence that the provider did accept it (a sent, delivered or read status carrying our id)
 * moves it on; PENDING and another FAILED change nothing.
 */
export const FROM_UNCERTAIN_FAILURE: Readonly<Record<DeliveryStatus, Transition>> = {
  [P]: 'ignore',
  [S]: 'apply',
  [D]: 'apply',
  [R]: 'apply',
  [F]: 'ignore',
};

/**
 * Failure codes that mean "no answer", not "refused": `uncertain` (the settle window passed with no
 * report) and `timeout` (what earlier versions recorded for an unanswered send).
 */
const UNCERTAIN_FAILURE_CODES: Readonly<Record<string, true>> = { uncertain: true, timeout: true };

/** Whether a FAILED message's failure code means we never learnt the provider's answer (see {@link FROM_UNCERTAIN_FAILURE}). */
export function isUncertainFailure(failureCode: string | null | undefined): boolean {
  return failureCode != null && Object.hasOwn(UNCERTAIN_FAILURE_CODES, failureCode);
}

/** Options for {@link decideTransition}. */
export interface TransitionOptions {
  /** The agent (or a retry job) explicitly asked to send again; only FAILED → PENDING is allowed. */
  readonly retry?: boolean;
  /**
   * The message is FAILED with an uncertain failure ({@link isUncertainFailure}): ordinary updates
   * from FAILED follow {@link FROM_UNCERTAIN_FAILURE} instead of being ignored. Meaningless for other statuses.
   */
  readonly uncertainFailure?: boolean;
}

/**
 * Decides whether a message at `from` should move to `to`.
 *
 * With `retry`, the target must be PENDING (a retry means "queue it again"); any other target is
 * rejected, and the source decides via the retry table: FAILED applies, PENDING is ignored, the
 * rest are rejected. With `uncertainFailure`, a FAILED message accepts evidence of acceptance.
 */
export function decideTransition(from: DeliveryStatus, to: DeliveryStatus, opts: TransitionOptions = {}): Transition {
  if (opts.retry) return to === DeliveryStatus.PENDING ? RETRY_FROM[from] : 'reject';
  if (from === DeliveryStatus.FAILED && opts.uncertainFailure) return FROM_UNCERTAIN_FAILURE[to];
  return STATUS_TRANSITIONS[from][to];
}

/** Whether a status is final for ordinary updates (READ, FAILED). */
export function isTerminal(status: DeliveryStatus): boolean {
  return TERMINAL[status];
}
