import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { Message } from './message.entity';

/** Per-request message loaders; a message is visible when its inbox is. */
export function createMessageLoaders(em: EntityManager, viewer: Viewer) {
  return {
    message: byIdLoader(em, Message, viewer.tenantId, (m) => viewer.canSeeInbox(m.tenantId, m.inboxId)),
  };
}
