import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader, groupLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { InboxMember } from './inbox-member.entity';
import { Inbox } from './inbox.entity';

/** Per-request inbox loaders. */
export function createInboxLoaders(em: EntityManager, viewer: Viewer) {
  return {
    inbox: byIdLoader(em, Inbox, viewer.tenantId, (i) => viewer.canSeeInbox(i.tenantId, i.id)),
    membersByInbox: groupLoader(em, InboxMember, 'inboxId', { tenantId: viewer.tenantId }, { id: 'asc' }),
  };
}
