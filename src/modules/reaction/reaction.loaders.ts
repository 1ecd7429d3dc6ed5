import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader, groupLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import type { LoaderOptions } from '../../graphql/loaders';
import { Reaction } from './reaction.entity';

/** Per-request reaction loaders: all reactions of many messages in one query. */
export function createReactionLoaders(em: EntityManager, viewer: Viewer, options: LoaderOptions = {}) {
  return {
    reaction: byIdLoader(em, Reaction, viewer.tenantId),
    // Read models: reactions are listed here; reacting loads and changes them through its own service.
    reactionsByMessage: groupLoader(
      em,
      Reaction,
      'messageId',
      { tenantId: viewer.tenantId },
      { id: 'asc' },
      options.entityReads ? 'entities' : 'readModels',
    ),
  };
}
