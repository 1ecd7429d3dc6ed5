import DataLoader from 'dataloader';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { byIdLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { MessageDirection } from '../message/sender-type';
import { Conversation } from './conversation.entity';

/** Per-request loaders for conversations and the viewer's unread counts. */
export function createConversationLoaders(em: SqlEntityManager, viewer: Viewer) {
  return {
    conversation: byIdLoader(em, Conversation, viewer.tenantId, (c) => viewer.canSeeInbox(c.tenantId, c.inboxId)),
    /**
     * Inbound messages newer than the viewer's read marker, for many conversations in one grouped
     * query (message ids are time-sortable, so "newer" is an id comparison).
     */
    unreadCount: new DataLoader<string, number>(async (conversationIds) => {
      const knex = em.getKnex();
      const rows: { conversation_id: string; unread: number | string }[] = await em.execute(
        knex('message as m')
          .select('m.conversation_id')
          .count({ unread: '*' })
          .leftJoin('read_marker as r', (join) => {
            join.on('r.conversation_id', '=', 'm.conversation_id').andOn('r.user_id', '=', knex.raw('?', [viewer.userId]));
          })
          .whereIn('m.conversation_id', [...conversationIds])
          .andWhere('m.direction', MessageDirection.INBOUND)
          .andWhere((q) => q.whereNull('r.last_read_message_id').orWhereRaw('m.id > r.last_read_message_id'))
          .groupBy('m.conversation_id'),
      );
      const counts = new Map(rows.map((r) => [r.conversation_id, Number(r.unread)]));
      return conversationIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}
