import DataLoader from 'dataloader';
import type { FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { groupLoader, readRows } from '../../graphql/loader-kit';
import type { LoaderOptions } from '../../graphql/loaders';
import type { Viewer } from '../auth/viewer';
import { Conversation } from '../conversation/conversation.entity';
import { ContactIdentity } from './contact-identity.entity';
import { Contact } from './contact.entity';

/**
 * Per-request contact loaders. Owners and admins see every contact of the tenant; an agent sees a
 * contact only through a conversation with it in one of their inboxes (one statement per batch).
 */
/** The contact loader returns read models (see readRows): no caller modifies a contact it loaded. */
export function createContactLoaders(em: SqlEntityManager, viewer: Viewer, options: LoaderOptions = {}) {
  return {
    contact: new DataLoader<string, Contact | null>(async (ids) => {
      // The tenant is checked on the rows, not in SQL: see byIdLoader (SQLite would scan the tenant index).
      const where: FilterQuery<Contact>[] = [{ id: { $in: [...ids] } }];
      const visible = viewer.visibleInboxIds();
      if (visible) {
        const reachable = em
          .createQueryBuilder(Conversation, 'c')
          .select('c.contact_id')
          .where({ tenantId: viewer.tenantId, inboxId: { $in: visible } })
          .getKnexQuery();
        where.push({ id: { $in: reachable } } as unknown as FilterQuery<Contact>);
      }
      const rows = options.entityReads ? await em.find(Contact, { $and: where }) : await readRows(em, Contact, { $and: where });
      const byId = new Map(rows.filter((c) => c.tenantId === viewer.tenantId).map((c) => [c.id, c]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    /** Only ever asked for a contact the viewer already reached through the loader above. */
    identitiesByContact: groupLoader(em, ContactIdentity, 'contactId', { tenantId: viewer.tenantId }, { id: 'asc' }),
  };
}
