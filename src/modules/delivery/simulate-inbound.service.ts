import type { EntityManager } from '@mikro-orm/core';
import type { AdapterRegistry } from '../../channels/adapter-registry';
import { SandboxAdapter } from '../../channels/sandbox/sandbox.adapter';
import { Errors, type FieldViolation } from '../../lib/errors';
import { channelRules, fitsTextLimit } from '../channel/channel-rules';
import { ADDRESS_FORMAT } from '../contact/contact-address';
import { Conversation } from '../conversation/conversation.entity';
import type { Inbox } from '../inbox/inbox.entity';
import { Message } from '../message/message.entity';
import { inboundAddress } from './inbound.service';

/** The longest display name a simulated customer may have. */
export const MAX_SIMULATED_NAME_LENGTH = 200;

/** The simulated customer message, as the client wrote it (field names are the mutation's arguments). */
export interface SimulateInboundInput {
  from: string;
  text: string;
  name: string | null;
}

/** The customer message the sandbox delivered, and the conversation it landed in. */
export interface SimulatedInbound {
  message: Message;
  conversation: Conversation;
}

/** The checked values of a simulated customer message. */
export interface SimulatedCustomerMessage {
  /** The customer address in canonical form (E.164 for phone channels). */
  address: string;
  /** The text, trimmed. */
  body: string;
  displayName: string | null;
}

/**
 * Checks a simulated customer message for `inbox`'s channel: an address the channel can read, a
 * non-empty text within the channel's limit, a display name of at most
 * {@link MAX_SIMULATED_NAME_LENGTH} characters. BAD_USER_INPUT listing every violation, by
 * argument name (`from`, `text`, `name`).
 */
export function parseSimulatedCustomerMessage(inbox: Pick<Inbox, 'channel'>, input: SimulateInboundInput): SimulatedCustomerMessage {
  const violations: FieldViolation[] = [];
  const address = inboundAddress(inbox, input.from);
  if (!address) violations.push({ field: 'from', message: `must be ${ADDRESS_FORMAT[inbox.channel]}.` });
  const body = input.text.trim();
  if (body === '') violations.push({ field: 'text', message: 'must not be empty.' });
  else if (!fitsTextLimit(inbox.channel, body)) {
    violations.push({ field: 'text', message: `must fit the channel's limit of ${channelRules(inbox.channel).maxTextLength}.` });
  }
  const displayName = input.name?.trim() || null;
  if (displayName && displayName.length > MAX_SIMULATED_NAME_LENGTH) {
    violations.push({ field: 'name', message: `must be at most ${MAX_SIMULATED_NAME_LENGTH} characters.` });
  }
  if (violations.length) throw Errors.badInput(violations);
  return { address: address!, body, displayName };
}

/** The sandbox adapter of `inbox`; BAD_USER_INPUT naming `inboxId` when another provider carries it. */
function sandboxAdapterOf(channels: AdapterRegistry, inbox: Inbox): SandboxAdapter {
  const adapter = channels.has(inbox.provider) ? channels.forInbox(inbox) : null;
  if (!(adapter instanceof SandboxAdapter)) {
    throw Errors.field('inboxId', `is carried by the ${inbox.provider} provider; only sandbox inboxes can simulate customers.`);
  }
  return adapter;
}

/**
 * Plays the customer on a sandbox inbox: the sandbox provider POSTs a signed `message` webhook to
 * this server (a real HTTP loopback, so it is ingested exactly like a provider's: receipt, contact,
 * conversation, window, events published by the webhook route), then the stored message and its
 * conversation are read back. Visibility of `inbox` is the caller's check.
 *
 * Errors (nothing is sent): BAD_USER_INPUT naming `inboxId` (not a sandbox inbox), `from`, `text`
 * or `name`.
 */
export async function simulateInbound(
  em: EntityManager,
  channels: AdapterRegistry,
  inbox: Inbox,
  input: SimulateInboundInput,
): Promise<SimulatedInbound> {
  const adapter = sandboxAdapterOf(channels, inbox);
  const { address, body, displayName } = parseSimulatedCustomerMessage(inbox, input);
  const delivered = await adapter.simulateInbound({ from: address, text: body, name: displayName });
  if (delivered.status !== 200) throw new Error(`The sandbox webhook was answered with HTTP ${delivered.status}.`);
  const message = await em.findOneOrFail(Message, { inboxId: inbox.id, channelMessageId: delivered.channelMessageId });
  const conversation = await em.findOneOrFail(Conversation, { id: message.conversationId, tenantId: inbox.tenantId });
  return { message, conversation };
}
