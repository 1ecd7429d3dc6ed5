import DataLoader from 'dataloader';
import type { FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Viewer } from '../auth/viewer';
import { readRows } from '../../graphql/loader-kit';
import type { LoaderOptions } from '../../graphql/loaders';
import { Conversation } from '../conversation/conversation.entity';
import { Message } from './message.entity';

/**
 * Per-request message loaders. A message is visible when its conversation's inbox is: that is
 * what decides who sees a thread, so a message never shows to someone who cannot see its
 * conversation. `message.inboxId` is that same inbox by construction (see Message.inboxId); it is
 * checked as well, so a row that ever broke the invariant is hidden rather than shown to the
 * members of the other inbox. One statement per batch either way.
 */
export function createMessageLoaders(em: SqlEntityManager, viewer: Viewer, options: LoaderOptions = {}) {
  return {
    /** Managed messages: mutations (retry, react, markRead) load their message here. */
    message: messageLoader(em, viewer, false),
    /**
     * The same rows as read models (see readRows), for read-only fields such as Conversation.lastMessage
     * on the inbox list.
     */
    messageRead: messageLoader(em, viewer, !options.entityReads),
  };
}

function messageLoader(em: SqlEntityManager, viewer: Viewer, readModels: boolean) {
  return new DataLoader<string, Message | null>(async (ids) => {
    // The tenant is checked on the rows, not in SQL: see byIdLoader (SQLite would scan the tenant index).
    const where: FilterQuery<Message>[] = [{ id: { $in: [...ids] } }];
    const visible = viewer.visibleInboxIds();
    if (visible) {
      const reachable = em
        .createQueryBuilder(Conversation, 'c')
        .select('c.id')
        .where({ tenantId: viewer.tenantId, inboxId: { $in: visible } })
        .getKnexQuery();
      where.push({ conversationId: { $in: reachable } } as unknown as FilterQuery<Message>);
    }
    const rows = readModels ? await readRows(em, Message, { $and: where }) : await em.find(Message, { $and: where });
    const byId = new Map(rows.filter((m) => viewer.canSeeInbox(m.tenantId, m.inboxId)).map((m) => [m.id, m]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
