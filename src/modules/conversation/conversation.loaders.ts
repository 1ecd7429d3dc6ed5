import DataLoader from 'dataloader';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { byIdLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { ReadMarker } from '../read-marker/read-marker.entity';
import { Conversation } from './conversation.entity';

/** Per-request loaders for conversations and the viewer's unread counts. */
export function createConversationLoaders(em: SqlEntityManager, viewer: Viewer) {
  return {
    conversation: byIdLoader(em, Conversation, viewer.tenantId, (c) => viewer.canSeeInbox(c.tenantId, c.inboxId)),
    /**
     * The viewer's read position (customer messages counted up to their read marker) in many
     * conversations, one statement: unread = Conversation.inboundCount − this (see inbound-count.ts),
     * so the cost does not grow with a conversation's length.
     */
    readInboundCount: new DataLoader<string, number>(async (conversationIds) => {
      const markers = await em.find(
        ReadMarker,
        { userId: viewer.userId, conversationId: { $in: [...conversationIds] } },
        { fields: ['conversationId', 'readInboundCount'] },
      );
      const counts = new Map(markers.map((m) => [m.conversationId, m.readInboundCount]));
      return conversationIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}
