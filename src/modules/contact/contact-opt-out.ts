import type { EntityManager } from '@mikro-orm/core';
import type { OptOutChange } from '../../channels/channel-adapter';
import { AppError, ErrorCode } from '../../lib/errors';
import type { ChannelKind } from '../channel/channel-kind';
import { ContactIdentity } from './contact-identity.entity';

/**
 * Per-channel opt-outs. A customer who replies STOP (or whom a provider reports as unsubscribed)
 * is opted out at that address: `ContactIdentity.optedOutAt`. Carriers and providers enforce it
 * too (Twilio answers 21610), but refusing before the provider means nothing is queued or billed,
 * and the agent learns why at once.
 */

/** The failure code of a send refused because the recipient opted out (ours and providers'). */
export const OPTED_OUT_FAILURE_CODE = 'opted_out';

/** Whether the contact opted out of `channel` at any of its addresses there. */
export async function isOptedOut(em: EntityManager, tenantId: string, contactId: string, channel: ChannelKind): Promise<boolean> {
  return (await em.count(ContactIdentity, { tenantId, contactId, channel, optedOutAt: { $ne: null } })) > 0;
}

/**
 * Applies an opt-out keyword to the identity at `address` in the caller's transaction: `stop`
 * records when (the first STOP is kept), `start` clears it. True when something changed.
 */
export function applyOptOut(identity: ContactIdentity, change: OptOutChange, now: Date): boolean {
  if (change === 'stop' && !identity.optedOutAt) {
    identity.optedOutAt = now;
    return true;
  }
  if (change === 'start' && identity.optedOutAt) {
    identity.optedOutAt = null;
    return true;
  }
  return false;
}

/** Records that a contact's address opted out (a provider said so), in the caller's transaction. */
export async function recordOptOut(em: EntityManager, tenantId: string, channel: ChannelKind, address: string, now: Date): Promise<void> {
  const identity = await em.findOne(ContactIdentity, { tenantId, channel, address });
  if (identity) applyOptOut(identity, 'stop', now);
}

/** OPTED_OUT for a send to a customer who opted out of the channel. */
export function optedOutError(channel: ChannelKind, contactId: string): AppError {
  return new AppError(
    ErrorCode.OPTED_OUT,
    `The customer opted out of ${channel.toUpperCase()} messages (they replied STOP); nothing can be sent until they reply START.`,
    { contactId, channel: channel.toUpperCase() },
  );
}
