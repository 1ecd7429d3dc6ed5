import { DeliveryStatus } from '../message/delivery-status';
import type { Message } from '../message/message.entity';
import { OutboxState, type OutboxEntry } from './outbox-entry.entity';

/**
 * The last look before a send to a provider without an idempotency key, taken under the locks a
 * status report takes (message, then outbox entry). An earlier attempt may have reached the
 * provider, and its report settles the message by storing the channel id and closing the entry in
 * one transaction; a report that commits after the worker first read the message but before the
 * request leaves must still stop the request, or the customer gets a second copy of a message we
 * already know was delivered.
 *
 * Returns why the attempt must not send (it then records a skip, which the claim's fence drops
 * when the entry was closed or taken over), or null when the claim still holds and nothing has
 * reported the message.
 */
export function sendBlocker(
  message: Pick<Message, 'deliveryStatus' | 'channelMessageId'> | null,
  entry: Pick<OutboxEntry, 'state' | 'attempts'> | null,
  attempt: number,
): string | null {
  if (!entry) return 'the outbox entry no longer exists';
  if (entry.state !== OutboxState.PENDING) return ENTRY_CLOSED[entry.state];
  // The lease ran out and another claim took the entry: that attempt sends, not this one.
  if (entry.attempts !== attempt) return `attempt ${entry.attempts} took the entry over`;
  if (!message) return 'the message no longer exists';
  if (message.deliveryStatus !== DeliveryStatus.PENDING) return `the message is already ${message.deliveryStatus}`;
  // Retries of a message the provider accepted are refused, so a PENDING message with a channel id
  // was reported by the provider (the outbox entry closes in the same transaction).
  if (message.channelMessageId !== null) return `the provider reported copy ${message.channelMessageId}`;
  return null;
}

/** Why a closed entry is not sent, by how it closed. */
const ENTRY_CLOSED: Record<Exclude<OutboxState, OutboxState.PENDING>, string> = {
  [OutboxState.DONE]: 'the message was settled meanwhile (a status report, or another attempt)',
  [OutboxState.FAILED]: 'the message was failed meanwhile',
};
