/**
 * Issue #10: which way of reading the inbox list's rows costs least, in-process (no HTTP, no GraphQL).
 * One inbox-list page (51 conversations) and one conversation-view page (51 messages) per iteration,
 * through: `em.find` (hydrated, identity map), `em.find` with `disableIdentityMap`, `readRows` (the
 * query builder's mapped results as read models, what the read paths use) and the driver alone
 * (`em.getConnection().execute`, no mapping: the floor). Variants interleave per round, forward and
 * reversed, so load from elsewhere on the machine hits them alike; two warm-up rounds are dropped.
 *
 * Run: node -r @swc-node/register bench/read-paths.ts
 */
import { createBenchDatabase } from './lib/database';
import { seedBenchWorkspace } from './lib/seed';
import { readRows } from '../src/graphql/loader-kit';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { Message } from '../src/modules/message/message.entity';
import type { SqlEntityManager } from '@mikro-orm/knex';

/** Seeds 1,000 conversations × 20 messages in a temp SQLite file and prints ms per iteration. */
async function main() {
  const database = await createBenchDatabase(null);
  const ws = await seedBenchWorkspace(database.db, { conversations: 1000, messagesPerConversation: 20, seed: 42 });
  const convId = ws.viewConversationIds[0];
  const variants: Record<string, (em: SqlEntityManager) => Promise<unknown>> = {
    find: async (em) => {
      await em.find(Conversation, { tenantId: ws.tenantId }, { orderBy: { lastActivityAt: 'desc', id: 'desc' }, limit: 51 });
      await em.find(Message, { conversationId: convId }, { orderBy: { id: 'desc' }, limit: 51 });
    },
    findNoIdentityMap: async (em) => {
      await em.find(
        Conversation,
        { tenantId: ws.tenantId },
        { orderBy: { lastActivityAt: 'desc', id: 'desc' }, limit: 51, disableIdentityMap: true },
      );
      await em.find(Message, { conversationId: convId }, { orderBy: { id: 'desc' }, limit: 51, disableIdentityMap: true });
    },
    readRows: async (em) => {
      await readRows(em, Conversation, { tenantId: ws.tenantId }, { orderBy: { lastActivityAt: 'desc', id: 'desc' }, limit: 51 });
      await readRows(em, Message, { conversationId: convId }, { orderBy: { id: 'desc' }, limit: 51 });
    },
    rawExecute: async (em) => {
      await em
        .getConnection()
        .execute('select * from conversation where tenant_id = ? order by last_activity_at desc, id desc limit 51', [ws.tenantId]);
      await em.getConnection().execute('select * from message where conversation_id = ? order by id desc limit 51', [convId]);
    },
  };
  const totals: Record<string, number> = Object.fromEntries(Object.keys(variants).map((k) => [k, 0]));
  const names = Object.keys(variants);
  for (let round = 0; round < 12; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) await variants[name]((database.db.em as SqlEntityManager).fork());
      if (round > 1) totals[name] += Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }
  for (const name of names) process.stdout.write(`${name}: ${(totals[name] / 1000).toFixed(3)} ms per (50 conversations + 50 messages)\n`);
  await database.dispose(false);
}
void main().then(() => process.exit(0));
