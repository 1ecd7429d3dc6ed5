import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader, groupLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { Reaction } from './reaction.entity';

/** Per-request reaction loaders: all reactions of many messages in one query. */
export function createReactionLoaders(em: EntityManager, viewer: Viewer) {
  return {
    reaction: byIdLoader(em, Reaction, viewer.tenantId),
    reactionsByMessage: groupLoader(em, Reaction, 'messageId', { tenantId: viewer.tenantId }, { id: 'asc' }),
  };
}
