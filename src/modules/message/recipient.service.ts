import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { AppError, ErrorCode, Errors } from '../../lib/errors';
import type { Viewer } from '../auth/viewer';
import type { ChannelKind } from '../channel/channel-kind';
import { ADDRESS_FORMAT, normalizeAddress } from '../contact/contact-address';
import { ContactIdentity } from '../contact/contact-identity.entity';
import { Contact } from '../contact/contact.entity';
import { findOrCreateContactByAddress } from '../contact/contact.service';
import { findThread, startConversation } from '../conversation/conversation-session.service';
import { ConversationStatus } from '../conversation/conversation-status';
import { Conversation } from '../conversation/conversation.entity';
import { lockedRead } from '../delivery/delivery.locks';
import { Inbox } from '../inbox/inbox.entity';
import type { RecipientRef } from './send-message.parse';

/** Where a send lands: the thread, and the inbox it is sent from. */
export interface ResolvedRecipient {
  /**
   * The thread, re-read inside the send transaction under its contact's row lock and then its own
   * (PostgreSQL; the caller's event append locks the tenant row last), so the send decides from its
   * current status and last-message columns. A new conversation is only persisted in the unit of work.
   */
  conversation: Conversation;
  /** The sender inbox: always the conversation's own inbox. */
  inbox: Inbox;
  /** True when this send starts the conversation (the caller appends CONVERSATION_CREATED). */
  created: boolean;
}

/** The GraphQL spelling of a channel, as clients see it in errors. */
const channelName = (channel: ChannelKind) => channel.toUpperCase();

/** An inbox of the viewer's tenant that the viewer can see, or NOT_FOUND. */
async function visibleInbox(em: EntityManager, viewer: Viewer, inboxId: string): Promise<Inbox> {
  const inbox = await em.findOne(Inbox, { id: inboxId, tenantId: viewer.tenantId });
  if (!inbox || !viewer.canSeeInbox(inbox.tenantId, inbox.id)) throw Errors.notFound('Inbox', inboxId);
  return inbox;
}

/** `input.inboxId`, when given, must be visible and on the conversation's channel. */
async function explicitSender(em: EntityManager, viewer: Viewer, inboxId: string, channel: ChannelKind): Promise<Inbox> {
  const inbox = await visibleInbox(em, viewer, inboxId);
  if (inbox.channel !== channel) {
    throw Errors.field('input.inboxId', `is a ${channelName(inbox.channel)} inbox; this recipient is on ${channelName(channel)}.`);
  }
  return inbox;
}

/**
 * Locks the contact row (PostgreSQL, until commit) and re-reads it. Inbound takes the same lock, so
 * one customer's sends and inbound messages are threaded one at a time: two cannot both find no
 * open conversation and both start one. SQLite runs one transaction at a time: only a re-read.
 */
function lockContact(em: EntityManager, tenantId: string, contactId: string): Promise<Contact | null> {
  return em.findOne(Contact, { id: contactId, tenantId }, lockedRead<Contact>(em));
}

/**
 * Locks the conversation (after its contact) and re-reads it: concurrent sends then update its
 * last-message columns one after the other, and a send that waited for a close sees CLOSED (and
 * reopens) instead of writing into the ended session.
 */
function lockConversation(em: EntityManager, conversation: Conversation): Promise<Conversation> {
  return em.findOneOrFail(Conversation, { id: conversation.id, tenantId: conversation.tenantId }, lockedRead<Conversation>(em));
}

async function toConversation(
  em: EntityManager,
  viewer: Viewer,
  conversationId: string,
  inboxId: string | null,
): Promise<ResolvedRecipient> {
  const found = await em.findOne(Conversation, { id: conversationId, tenantId: viewer.tenantId });
  if (!found || !viewer.canSeeInbox(found.tenantId, found.inboxId)) throw Errors.notFound('Conversation', conversationId);
  // One inbox per conversation: its messages go out from (and are seen through) that inbox only.
  if (inboxId && (await visibleInbox(em, viewer, inboxId)).id !== found.inboxId) {
    throw Errors.field(
      'input.inboxId',
      `is not the inbox of this conversation (${found.inboxId}): a conversation is served by its own inbox; to write from another inbox, send to the contact with that inboxId.`,
    );
  }
  // The contact first even though only the conversation changes: inbound holds the contact's lock
  // while it bumps the tenant's event sequence and then writes the conversation; a send holding the
  // conversation while waiting for the tenant row would deadlock with it.
  await lockContact(em, viewer.tenantId, found.contactId);
  const conversation = await lockConversation(em, found);
  const inbox = await em.findOneOrFail(Inbox, { id: conversation.inboxId, tenantId: viewer.tenantId });
  return { conversation, inbox, created: false };
}

/**
 * The thread of `contact` in `inbox` (locked), open or closed, or a new one at `address`. The
 * caller holds the contact's lock. A closed thread is continued, not doubled: the send reopens it
 * (sendInTransaction) as an inbound message would, so its window still reflects the customer's
 * last message.
 */
async function threadIn(em: EntityManager, inbox: Inbox, contact: Contact, address: string, now: Date): Promise<ResolvedRecipient> {
  const thread = await findThread(em, inbox, contact.id);
  // Re-read under lock: a close that committed meanwhile shows as CLOSED, and the send reopens it.
  if (thread) return { conversation: await lockConversation(em, thread), inbox, created: false };
  return { conversation: startConversation(em, inbox, contact, address, now).conversation, inbox, created: true };
}

/**
 * Which inbox a contact send goes out from when the client did not say: the inbox of the
 * contact's latest OPEN visible conversation on that channel (the thread someone is working), else
 * of their latest visible conversation there (closed: the send reopens it), else the only visible
 * inbox of the channel; several candidates are ambiguous.
 */
async function senderForContact(em: EntityManager, viewer: Viewer, contact: Contact, channel: ChannelKind): Promise<Inbox> {
  const visible = viewer.visibleInboxIds();
  const scope = visible ? { $in: visible } : undefined;
  const where = { tenantId: viewer.tenantId, contactId: contact.id, channel, ...(scope ? { inboxId: scope } : {}) };
  const latest = (status?: ConversationStatus) =>
    em.findOne(Conversation, (status ? { ...where, status } : where) as FilterQuery<Conversation>, {
      orderBy: { lastActivityAt: 'desc', id: 'desc' },
    });
  const thread = (await latest(ConversationStatus.OPEN)) ?? (await latest());
  if (thread) return em.findOneOrFail(Inbox, { id: thread.inboxId, tenantId: viewer.tenantId });
  const inboxes = await em.find(Inbox, { tenantId: viewer.tenantId, channel, ...(scope ? { id: scope } : {}) } as FilterQuery<Inbox>, {
    orderBy: { id: 'asc' },
  });
  if (inboxes.length === 1) return inboxes[0];
  if (inboxes.length === 0)
    throw Errors.field('input.recipient.contact.channel', `you have no ${channelName(channel)} inbox to send from.`);
  throw new AppError(
    ErrorCode.BAD_USER_INPUT,
    `input.inboxId: choose the sender; you can send on ${channelName(channel)} from ${inboxes.map((i) => `${i.name} (${i.id})`).join(', ')}.`,
    {
      fields: [{ field: 'input.inboxId', message: `is required: several ${channelName(channel)} inboxes can reach this contact.` }],
      inboxIds: inboxes.map((i) => i.id),
    },
  );
}

async function toContact(
  em: EntityManager,
  viewer: Viewer,
  contactId: string,
  channel: ChannelKind | null,
  inboxId: string | null,
  now: Date,
): Promise<ResolvedRecipient> {
  // Contacts are tenant-wide; what an agent reaches is limited by the inboxes they can send from.
  const contact = await lockContact(em, viewer.tenantId, contactId);
  if (!contact) throw Errors.notFound('Contact', contactId);
  const identities = await em.find(ContactIdentity, { contactId, tenantId: viewer.tenantId }, { orderBy: { id: 'asc' } });
  const routes = channel ? identities.filter((i) => i.channel === channel) : identities;
  const list = (ids: ContactIdentity[]) => ids.map((i) => `${channelName(i.channel)} ${i.address}`).join(', ');
  if (routes.length !== 1) {
    const field = routes.length === 0 && !channel ? 'input.recipient.contact' : 'input.recipient.contact.channel';
    const message =
      routes.length === 0
        ? channel
          ? `the contact has no ${channelName(channel)} route${identities.length ? ` (it has ${list(identities)})` : ''}.`
          : 'the contact has no route to send to.'
        : channel
          ? `the contact has several ${channelName(channel)} routes (${list(routes)}); send to one with recipient.channel.`
          : `the contact has several routes (${list(routes)}); choose one with channel.`;
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, {
      fields: [{ field, message }],
      routes: identities.map((i) => ({ channel: channelName(i.channel), address: i.address })),
    });
  }
  const route = routes[0];
  const inbox = inboxId
    ? await explicitSender(em, viewer, inboxId, route.channel)
    : await senderForContact(em, viewer, contact, route.channel);
  return threadIn(em, inbox, contact, route.address, now);
}

async function toAddress(
  em: EntityManager,
  viewer: Viewer,
  inboxId: string,
  raw: string,
  topInboxId: string | null,
  now: Date,
): Promise<ResolvedRecipient> {
  if (topInboxId && topInboxId !== inboxId) {
    throw Errors.field('input.inboxId', 'must be left out or equal input.recipient.channel.inboxId.');
  }
  const inbox = await visibleInbox(em, viewer, inboxId);
  const address = normalizeAddress(inbox.channel, raw);
  if (!address) {
    throw Errors.field(
      'input.recipient.channel.address',
      `is not a valid ${channelName(inbox.channel)} address: expected ${ADDRESS_FORMAT[inbox.channel]}.`,
    );
  }
  const { contact, created } = await findOrCreateContactByAddress(em, viewer.tenantId, inbox.channel, address, { now });
  if (created) return { conversation: startConversation(em, inbox, contact, address, now).conversation, inbox, created: true };
  await lockContact(em, viewer.tenantId, contact.id);
  return threadIn(em, inbox, contact, address, now);
}

/**
 * Finds (or, for contact and channel recipients, prepares) the conversation a send goes to, and
 * the sender inbox. Call inside the send transaction: new contacts and conversations are only
 * persisted in `em` and vanish with a refused send.
 *
 * Visibility: a conversation or inbox the viewer cannot see is NOT_FOUND; contacts are
 * tenant-wide, but are only reached through inboxes the viewer can see.
 *
 * A conversation is served by ONE inbox (its messages inherit it, and it decides who sees them):
 * `opts.inboxId` may only repeat a conversation recipient's own inbox (else BAD_USER_INPUT naming
 * `input.inboxId`); for contact and channel recipients it chooses whose conversation is continued
 * or started.
 *
 * Locks (PostgreSQL; SQLite runs one transaction at a time): the contact, then the conversation;
 * the caller's event append (the tenant row) comes last, as in closeConversation. Sends and inbound
 * messages of one customer are serialised on the contact.
 */
export function resolveRecipient(
  em: EntityManager,
  viewer: Viewer,
  ref: RecipientRef,
  opts: { inboxId: string | null; now: Date },
): Promise<ResolvedRecipient> {
  switch (ref.kind) {
    case 'conversation':
      return toConversation(em, viewer, ref.conversationId, opts.inboxId);
    case 'contact':
      return toContact(em, viewer, ref.contactId, ref.channel, opts.inboxId, opts.now);
    case 'channel':
      return toAddress(em, viewer, ref.inboxId, ref.address, opts.inboxId, opts.now);
  }
}
