import { registerEnumType } from 'type-graphql';
import { ChannelKind } from '../channel/channel-kind';
import { CHANNEL_RULES, ChannelWindowRule, supportedContentKinds } from '../channel/channel-rules';
import { ContentKind } from '../message/content-kind';

/**
 * Who wants to send. Only a human user may use a channel's human-agent extension; bots and
 * automations are held to the standard window.
 */
export type WindowActor = 'user' | 'bot';

/** Every actor, for exhaustive tests. */
export const ALL_WINDOW_ACTORS: readonly WindowActor[] = ['user', 'bot'];

/** Why the window is (or is not) open for this actor right now. */
export enum WindowReason {
  NO_WINDOW = 'no_window',
  OPEN = 'open',
  HUMAN_AGENT_EXTENSION = 'human_agent_extension',
  EXPIRED = 'expired',
  NO_CUSTOMER_MESSAGE = 'no_customer_message',
}

// Typed as a full Record (type-graphql only asks for a Partial) so a new reason needs a description.
const WINDOW_REASON_DESCRIPTIONS: Record<keyof typeof WindowReason, { description: string }> = {
  NO_WINDOW: {
    description: 'The channel has no reply window: everything the channel supports can be sent at any time.',
  },
  OPEN: { description: 'Inside the standard customer-service window that follows the last customer message.' },
  HUMAN_AGENT_EXTENSION: {
    description: 'Outside the standard window but inside the longer human-agent window; only a human user may send free-form.',
  },
  EXPIRED: { description: 'The window has elapsed: only templates (where supported) and internal notes.' },
  NO_CUSTOMER_MESSAGE: {
    description: 'The customer has never written: a business-initiated conversation allows only templates (where supported) and notes.',
  },
};

registerEnumType(WindowReason, {
  name: 'WindowReason',
  description: 'Why free-form sending is allowed or blocked in a conversation right now.',
  valuesConfig: WINDOW_REASON_DESCRIPTIONS,
});

/** Per-inbox override of the channel's default window lengths (ignored on channels without one). */
export interface WindowPolicy {
  /** Standard window length in hours (e.g. 23 to keep a safety margin before Meta's 24). */
  readonly hours?: number;
  /** Human-agent window length in hours; 0 disables the extension (e.g. tag not approved). */
  readonly humanAgentHours?: number;
}

/** Everything {@link evaluateWindow} needs; no clock is read inside, so callers pass `now`. */
export interface WindowInput {
  readonly channel: ChannelKind;
  readonly actor: WindowActor;
  /** When the customer last wrote on this conversation, or `null` if they never did. */
  readonly lastInboundAt: Date | null;
  readonly now: Date;
  readonly policy?: WindowPolicy;
}

/** What the composer may send right now. */
export interface WindowDecision {
  /** Whether free-form content (text, media, rich) may be sent to the customer. */
  readonly canSend: boolean;
  readonly reason: WindowReason;
  /**
   * When this actor loses free-form sending (exclusive: at this instant it is already shut).
   * For a user inside the standard window of a channel with a human-agent extension this is the
   * end of the extension, because that is when the composer really locks; see
   * {@link nextWindowChange} for the earlier instant at which the reason flips to
   * HUMAN_AGENT_EXTENSION. `null` when the channel has no window or it is already shut.
   */
  readonly expiresAt: Date | null;
  /** Content kinds allowed now, in ContentKind order. */
  readonly allowedContent: ContentKind[];
}

/** Content kinds that stay allowed when free-form is blocked: they need no customer consent window. */
const ALLOWED_WHEN_SHUT: ReadonlySet<ContentKind> = new Set([ContentKind.TEMPLATE, ContentKind.NOTE]);

/** Whether each reason permits free-form content. Exhaustive so a new reason must take a side. */
const FREE_FORM: Readonly<Record<WindowReason, boolean>> = {
  [WindowReason.NO_WINDOW]: true,
  [WindowReason.OPEN]: true,
  [WindowReason.HUMAN_AGENT_EXTENSION]: true,
  [WindowReason.EXPIRED]: false,
  [WindowReason.NO_CUSTOMER_MESSAGE]: false,
};

/** Whether each actor may use the human-agent extension (Meta allows it for humans only). */
const USES_HUMAN_AGENT_EXTENSION: Readonly<Record<WindowActor, boolean>> = {
  user: true,
  bot: false,
};

const HOUR_MS = 60 * 60 * 1000;

/** A stretch of time during which free-form is allowed for a given reason; ends exclusively. */
interface Stage {
  readonly reason: WindowReason.OPEN | WindowReason.HUMAN_AGENT_EXTENSION;
  readonly endsAt: number;
}

/** Where `now` sits on the timeline, before it is turned into a decision. */
interface Position {
  readonly reason: WindowReason;
  /** When free-form sending ends for this actor; null when there is nothing to end. */
  readonly sendableUntil: number | null;
  /** When `reason` will next change; null when it never will without a new customer message. */
  readonly changesAt: number | null;
}

function assertHours(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`window policy ${name} must be a finite number of hours >= 0, got ${value}`);
  }
}

/** Applies the per-inbox override; a policy cannot invent a window on a channel without one. */
function effectiveWindow(channel: ChannelKind, policy: WindowPolicy | undefined): ChannelWindowRule {
  // Validate even where the policy is ignored, so a bad inbox setting surfaces on every channel.
  assertHours('hours', policy?.hours);
  assertHours('humanAgentHours', policy?.humanAgentHours);
  const base = CHANNEL_RULES[channel].window;
  if (base.kind === 'none' || policy === undefined) return base;
  return {
    kind: 'customer-service',
    hours: policy.hours ?? base.hours,
    humanAgentHours: policy.humanAgentHours ?? base.humanAgentHours,
  };
}

/**
 * The successive sendable stages after the last inbound message, each ending strictly after the
 * previous one. An extension that is not longer than the standard window adds nothing, so it is
 * dropped rather than producing a stage that can never be current.
 */
function stages(window: Extract<ChannelWindowRule, { kind: 'customer-service' }>, actor: WindowActor, lastInboundMs: number): Stage[] {
  const result: Stage[] = [{ reason: WindowReason.OPEN, endsAt: lastInboundMs + window.hours * HOUR_MS }];
  if (USES_HUMAN_AGENT_EXTENSION[actor] && window.humanAgentHours !== undefined && window.humanAgentHours > window.hours) {
    result.push({ reason: WindowReason.HUMAN_AGENT_EXTENSION, endsAt: lastInboundMs + window.humanAgentHours * HOUR_MS });
  }
  return result;
}

function locate(input: WindowInput): Position {
  const window = effectiveWindow(input.channel, input.policy);
  if (window.kind === 'none') return { reason: WindowReason.NO_WINDOW, sendableUntil: null, changesAt: null };
  if (input.lastInboundAt === null) {
    return { reason: WindowReason.NO_CUSTOMER_MESSAGE, sendableUntil: null, changesAt: null };
  }
  const now = input.now.getTime();
  const timeline = stages(window, input.actor, input.lastInboundAt.getTime());
  const current = timeline.find((stage) => now < stage.endsAt);
  if (current === undefined) return { reason: WindowReason.EXPIRED, sendableUntil: null, changesAt: null };
  return { reason: current.reason, sendableUntil: timeline[timeline.length - 1].endsAt, changesAt: current.endsAt };
}

/**
 * Decides what an actor may send on a conversation at `now`.
 *
 * Pure: the same input always gives the same decision, so it can run in resolvers, in the send
 * path (to re-check just before handing off to a provider) and in tests without a clock.
 *
 * @throws RangeError when the policy carries a negative or non-finite number of hours.
 */
export function evaluateWindow(input: WindowInput): WindowDecision {
  const position = locate(input);
  const canSend = FREE_FORM[position.reason];
  const supported = supportedContentKinds(input.channel);
  return {
    canSend,
    reason: position.reason,
    expiresAt: canSend && position.sendableUntil !== null ? new Date(position.sendableUntil) : null,
    allowedContent: canSend ? supported : supported.filter((kind) => ALLOWED_WHEN_SHUT.has(kind)),
  };
}

/**
 * The instant at which {@link evaluateWindow} will next return a different decision for the same
 * conversation, actor and policy, assuming no new customer message arrives: the end of the
 * standard window (OPEN → HUMAN_AGENT_EXTENSION or EXPIRED) or of the extension (→ EXPIRED).
 * `null` when nothing will change on its own (no window, never written, already expired).
 * Meant for scheduling "window shut" pushes.
 */
export function nextWindowChange(input: WindowInput): Date | null {
  const { changesAt } = locate(input);
  return changesAt === null ? null : new Date(changesAt);
}
