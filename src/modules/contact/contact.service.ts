import type { EntityManager } from '@mikro-orm/core';
import type { ChannelKind } from '../channel/channel-kind';
import { ContactIdentity } from './contact-identity.entity';
import { Contact } from './contact.entity';

/** A contact found (or made) from an address, with the identity that matched. */
export interface AddressedContact {
  contact: Contact;
  identity: ContactIdentity;
  created: boolean;
}

/**
 * The contact reached at a normalised `address` on `channel`, created (with that identity) when
 * the tenant has none. Call inside a transaction: two concurrent first contacts of one address
 * race on the unique (tenant, channel, address) index, and the loser's transaction fails with a
 * unique violation; retrying it finds the winner's contact.
 */
export async function findOrCreateContactByAddress(
  em: EntityManager,
  tenantId: string,
  channel: ChannelKind,
  address: string,
  opts: { name?: string | null; now?: Date } = {},
): Promise<AddressedContact> {
  const identity = await em.findOne(ContactIdentity, { tenantId, channel, address });
  if (identity) {
    const contact = await em.findOneOrFail(Contact, { id: identity.contactId, tenantId });
    return { contact, identity, created: false };
  }
  const now = opts.now ?? new Date();
  const contact = em.create(Contact, { tenantId, name: opts.name ?? null, createdAt: now });
  const created = em.create(ContactIdentity, { tenantId, contactId: contact.id, channel, address });
  return { contact, identity: created, created: true };
}
