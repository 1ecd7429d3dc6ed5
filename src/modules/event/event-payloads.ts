import type { DeliveryStatus } from '../message/delivery-status';
import type { WindowActor } from '../window/window.rules';
import { EventType } from './event-type';

/**
 * The `payload` each event type carries, as the subscription resolvers read it. Writers (the
 * services that call appendEvent) should produce these shapes; readers treat every field as
 * possibly missing, because old rows outlive code changes.
 */
export interface MessageStatusChangedPayload {
  from: DeliveryStatus | null;
  to: DeliveryStatus;
  failureCode?: string | null;
  failureReason?: string | null;
}

export interface ReactionChangedPayload {
  /** The reaction set (or, when removed, the one that was removed). */
  reactionId: string | null;
  emoji: string;
  removed: boolean;
  previousEmoji?: string | null;
}

export interface WindowShutPayload {
  /** The customer message time the window was counted from. */
  lastInboundAt: string;
  /** The instant the stage ended (the event is appended at or shortly after it). */
  shutAt: string;
  /** Actors whose window stage ended at that instant. */
  actors: WindowActor[];
  /** Those of them who can no longer send free-form (on Messenger at 24 h: the bot; a human keeps the extension). */
  closedFor: WindowActor[];
}

export interface WindowOpenedPayload {
  lastInboundAt?: string;
}

/** Reads a string field of a payload, or null. */
export function payloadString(payload: Record<string, unknown>, key: string): string | null {
  const value = payload[key];
  return typeof value === 'string' ? value : null;
}

/** Event types that can move a conversation's lastInboundAt (the window scheduler re-reads on them). */
export const MOVES_LAST_INBOUND: ReadonlySet<EventType> = new Set([EventType.MESSAGE_ADDED, EventType.WINDOW_OPENED]);
