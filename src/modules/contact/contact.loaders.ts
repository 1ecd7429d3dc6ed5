import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader, groupLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { ContactIdentity } from './contact-identity.entity';
import { Contact } from './contact.entity';

/** Per-request contact loaders. Contacts are tenant-wide; conversations decide what an agent reaches. */
export function createContactLoaders(em: EntityManager, viewer: Viewer) {
  return {
    contact: byIdLoader(em, Contact, viewer.tenantId),
    identitiesByContact: groupLoader(em, ContactIdentity, 'contactId', { tenantId: viewer.tenantId }, { id: 'asc' }),
  };
}
