import type { FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { PageRequest, Page } from '../../graphql/connection';
import { cursorFor, keysetPage, type KeysetOrder } from '../../graphql/keyset';
import { readRows } from '../../graphql/loader-kit';
import { parseOptionalId } from '../../lib/parse-id';
import type { Viewer } from '../auth/viewer';
import { Message } from '../message/message.entity';
import { Conversation } from './conversation.entity';
import { ConversationOrder, type ConversationFilter } from './conversation.inputs';

const ORDERS: Record<ConversationOrder, KeysetOrder<Conversation>> = {
  [ConversationOrder.LAST_ACTIVITY_DESC]: {
    scope: 'conversations:activity',
    keys: [
      { field: 'lastActivityAt', kind: 'date' },
      { field: 'id', kind: 'string' },
    ],
    direction: 'desc',
  },
  [ConversationOrder.LAST_ACTIVITY_ASC]: {
    scope: 'conversations:activity',
    keys: [
      { field: 'lastActivityAt', kind: 'date' },
      { field: 'id', kind: 'string' },
    ],
    direction: 'asc',
  },
};

/** The inbox list: conversations the viewer may see, filtered, in keyset pages. One SQL statement. */
export async function listConversations(
  em: SqlEntityManager,
  viewer: Viewer,
  filter: ConversationFilter | null | undefined,
  orderBy: ConversationOrder,
  page: PageRequest,
  entities = false,
): Promise<{ page: Page<Conversation>; cursorOf: (c: Conversation) => string }> {
  const order = ORDERS[orderBy];
  // Read models (not managed): the list is only read, and hydrating 50 rows cost more than their SQL.
  const result = await keysetPage(em, Conversation, conversationWhere(em, viewer, filter), order, page, entities ? undefined : readRows);
  return { page: result, cursorOf: (c) => cursorFor(order, c) };
}

/**
 * How many conversations the list would show over all its pages: one COUNT with the very filter
 * (and so the same indexes) as {@link listConversations}.
 */
export function countConversations(em: SqlEntityManager, viewer: Viewer, filter: ConversationFilter | null | undefined): Promise<number> {
  return em.count(Conversation, conversationWhere(em, viewer, filter));
}

/** The conversations the viewer may see that match `filter`; BAD_USER_INPUT for malformed filter ids. */
function conversationWhere(em: SqlEntityManager, viewer: Viewer, filter: ConversationFilter | null | undefined): FilterQuery<Conversation> {
  const where: FilterQuery<Conversation>[] = [{ tenantId: viewer.tenantId }];
  const visible = viewer.visibleInboxIds();
  if (visible) where.push({ inboxId: { $in: visible } });
  if (filter) {
    const inboxId = parseOptionalId('filter.inboxId', filter.inboxId, 'inbox');
    const assigneeId = parseOptionalId('filter.assigneeId', filter.assigneeId, 'user');
    if (filter.status?.length) where.push({ status: { $in: filter.status } });
    if (inboxId) where.push({ inboxId });
    if (assigneeId) where.push({ assigneeId });
    if (filter.unassigned != null) where.push({ assigneeId: filter.unassigned ? null : { $ne: null } });
    if (filter.channel) where.push({ channel: filter.channel });
    if (filter.interacted != null) {
      const mine = em.createQueryBuilder(Message, 'm').select('m.conversation_id').where({ senderUserId: viewer.userId }).getKnexQuery();
      where.push({ id: { [filter.interacted ? '$in' : '$nin']: mine } } as FilterQuery<Conversation>);
    }
  }
  return { $and: where };
}

/** Chronological order of a conversation's messages (ids are time-sortable). */
export const MESSAGE_ORDER: KeysetOrder<Message> = {
  scope: 'messages',
  keys: [{ field: 'id', kind: 'string' }],
  direction: 'asc',
};

/** One page of a conversation's messages; chat views ask for `last: n` (the newest n, oldest first). */
export async function listMessages(
  em: SqlEntityManager,
  conversation: Pick<Conversation, 'id' | 'tenantId'>,
  page: PageRequest,
  entities = false,
): Promise<Page<Message>> {
  // Read models: a page of messages is only shown (mutations load their message through loaders.message).
  const read = entities ? undefined : readRows;
  return keysetPage(em, Message, { conversationId: conversation.id, tenantId: conversation.tenantId }, MESSAGE_ORDER, page, read);
}
