import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Viewer } from '../modules/auth/viewer';
import { createContactLoaders } from '../modules/contact/contact.loaders';
import { createConversationLoaders } from '../modules/conversation/conversation.loaders';
import { createConversationMessagesLoaders } from '../modules/conversation/conversation-messages.loader';
import { createInboxLoaders } from '../modules/inbox/inbox.loaders';
import { createMediaLoaders } from '../modules/media/media.loaders';
import { createMessageLoaders } from '../modules/message/message.loaders';
import { createReactionLoaders } from '../modules/reaction/reaction.loaders';
import { createUserLoaders } from '../modules/user/user.loaders';

/**
 * `entityReads`: the read-only loaders return managed entities as they used to instead of read
 * models (see readRows); only the benchmark sets it, to measure the difference A/B in one run.
 */
export interface LoaderOptions {
  entityReads?: boolean;
}

/** Every DataLoader, created fresh per operation (and per subscription event) so nothing is shared. */
export function createLoaders(em: SqlEntityManager, viewer: Viewer, options: LoaderOptions = {}) {
  return {
    ...createConversationLoaders(em, viewer),
    ...createConversationMessagesLoaders(em, options),
    ...createMessageLoaders(em, viewer, options),
    ...createInboxLoaders(em, viewer),
    ...createContactLoaders(em, viewer, options),
    ...createUserLoaders(em, viewer, options),
    ...createReactionLoaders(em, viewer, options),
    ...createMediaLoaders(em, viewer),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
