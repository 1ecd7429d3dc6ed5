import DataLoader from 'dataloader';
import type { FilterQuery } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Page, PageRequest } from '../../graphql/connection';
import { decodeCursor } from '../../lib/cursor';
import { Message } from '../message/message.entity';
import type { Conversation } from './conversation.entity';
import { listMessages, MESSAGE_ORDER } from './conversation.service';
import { readRows } from '../../graphql/loader-kit';
import type { LoaderOptions } from '../../graphql/loaders';

/** One conversation's page of messages, as `Conversation.messages` asks for it. */
export interface ConversationMessagesKey extends PageRequest {
  /** A conversation the viewer may see (the field's parent). */
  conversation: Conversation;
}

/** Page arguments only: conversations asking for the same page share one query. */
const pageArgsOf = (key: ConversationMessagesKey) =>
  JSON.stringify([key.direction, key.size, key.cursor?.field ?? null, key.cursor?.value ?? null]);

/**
 * The same page, for many conversations, in ONE statement: each conversation's messages are
 * numbered from the page's start (`row_number()` per conversation, in the page's read direction,
 * from the cursor on) and the first `size + 1` of each are kept, the extra row telling whether
 * more exist. Window functions: SQLite ≥ 3.25 and PostgreSQL alike.
 */
async function pagesOf(
  em: SqlEntityManager,
  conversations: Conversation[],
  req: PageRequest,
  entities: boolean,
): Promise<Map<string, Page<Message>>> {
  const conversationIds = conversations.map((c) => c.id);
  const tenantIds = [...new Set(conversations.map((c) => c.tenantId))];
  const backward = req.direction === 'backward';
  // Messages are ordered by id ascending; a backward page reads them newest first from its cursor.
  const ascending = !backward;
  const cursorId = req.cursor ? (decodeCursor(req.cursor.field, req.cursor.value, MESSAGE_ORDER.scope, ['s'])[0] as string) : null;
  const pages = new Map<string, Page<Message>>();
  if (req.size === 0) {
    for (const id of conversationIds) pages.set(id, { nodes: [], hasNextPage: false, hasPreviousPage: false });
    return pages;
  }
  const knex = em.getKnex();
  const numbered = knex('message')
    .select('id', knex.raw(`row_number() over (partition by conversation_id order by id ${ascending ? 'asc' : 'desc'}) as rn`))
    .whereIn('conversation_id', conversationIds)
    .whereIn('tenant_id', tenantIds);
  if (cursorId !== null) numbered.andWhere('id', ascending ? '>' : '<', cursorId);
  const kept = knex
    .select('id')
    .from(numbered.as('numbered'))
    .where('rn', '<=', req.size + 1);
  const where = { id: { $in: kept } } as unknown as FilterQuery<Message>;
  const orderBy = { id: ascending ? 'asc' : 'desc' } as const;
  const rows = entities ? await em.find(Message, where, { orderBy }) : await readRows(em, Message, where, { orderBy });

  const byConversation = new Map<string, Message[]>(conversationIds.map((id) => [id, []]));
  for (const row of rows) byConversation.get(row.conversationId)?.push(row);
  // From here on exactly what keysetPage does with its `limit size + 1` rows.
  for (const [id, read] of byConversation) {
    const more = read.length > req.size;
    const nodes = read.slice(0, req.size);
    if (backward) nodes.reverse();
    pages.set(id, {
      nodes,
      hasNextPage: backward ? req.cursor !== null : more,
      hasPreviousPage: backward ? more : req.cursor !== null,
    });
  }
  return pages;
}

/**
 * Per-request loader of `Conversation.messages` pages. Selected inside the inbox list it answers
 * every conversation of the list with one statement per distinct page argument set (normally
 * one), instead of one per conversation. A lone conversation (the conversation view) takes the
 * plain keyset query, which reads only the page from the (conversation_id, id) index.
 */
export function createConversationMessagesLoaders(em: SqlEntityManager, options: LoaderOptions = {}) {
  const entities = options.entityReads === true;
  return {
    conversationMessages: new DataLoader<ConversationMessagesKey, Page<Message>, string>(
      async (keys) => {
        const groups = new Map<string, ConversationMessagesKey[]>();
        for (const key of keys) {
          const args = pageArgsOf(key);
          const group = groups.get(args);
          if (group) group.push(key);
          else groups.set(args, [key]);
        }
        const results = new Map<ConversationMessagesKey, Page<Message> | Error>();
        for (const group of groups.values()) {
          const req: PageRequest = { direction: group[0].direction, size: group[0].size, cursor: group[0].cursor };
          try {
            if (group.length === 1) {
              results.set(group[0], await listMessages(em, group[0].conversation, req, entities));
              continue;
            }
            const pages = await pagesOf(
              em,
              group.map((k) => k.conversation),
              req,
              entities,
            );
            for (const key of group) results.set(key, pages.get(key.conversation.id)!);
          } catch (error) {
            // A bad cursor fails the conversations that passed it, as the single query would.
            for (const key of group) results.set(key, error as Error);
          }
        }
        return keys.map((key) => results.get(key)!);
      },
      { cacheKeyFn: (key) => `${key.conversation.id}:${pageArgsOf(key)}` },
    ),
  };
}
