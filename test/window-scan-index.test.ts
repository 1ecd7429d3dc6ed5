import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { addBulkConversations } from './helpers/bulk';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import { Conversation } from '../src/modules/conversation/conversation.entity';

/**
 * The window scheduler scans, per inbox, the conversations whose last inbound message falls in a
 * time range. That scan must be an index range on (inbox_id, last_inbound_at), not a walk over every
 * conversation of the inbox: the plan of the scheduler's filter names the index and bounds
 * last_inbound_at with it.
 */
function scanQuery(s: TestServer): { em: SqlEntityManager; sql: string; bindings: unknown[] } {
  const em = s.db.em.fork() as SqlEntityManager;
  const now = Date.now();
  const { sql, bindings } = em
    .createQueryBuilder(Conversation)
    .select(['id', 'channel', 'lastInboundAt', 'inboxId'])
    .where({ inboxId: s.demo.whatsapp.id, lastInboundAt: { $gt: new Date(now - 3600_000), $lte: new Date(now + 3600_000) } })
    .getKnexQuery()
    .toSQL();
  return { em, sql, bindings: [...bindings] };
}

const INDEX = 'conversation_inbox_id_last_inbound_at_index';

test('the window scan is an index range on (inbox_id, last_inbound_at) (SQLite)', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const { em, sql, bindings } = scanQuery(s);
  const plan = (await em.execute(`explain query plan ${sql}`, bindings)) as { detail: string }[];
  const detail = plan.map((row) => row.detail).join('\n');
  assert.match(detail, new RegExp(`USING INDEX ${INDEX} \\(inbox_id=\\? AND last_inbound_at>\\? AND last_inbound_at<\\?\\)`), detail);
});

test('the window scan is an index range on (inbox_id, last_inbound_at) (PostgreSQL)', async (t) => {
  const why = await postgresUnavailable();
  if (why) return t.skip(why);
  const s = await startTestServer({ dialect: 'postgres', deliveryWorker: false });
  t.after(() => s.close());
  // A real inbox: thousands of conversations, most of them quiet for days, so the scheduler's
  // two-hour range is selective. On the demo's handful of rows every index costs the same and the
  // planner may pick any that starts with inbox_id (e.g. the (inbox_id, contact_id) unique one).
  await addBulkConversations(s.db.em.fork(), s.demo, { conversations: 2000 });
  const { em, sql, bindings } = scanQuery(s);
  await em.execute(`update conversation set last_inbound_at = now() - interval '10 days' where inbox_id = ?`, [s.demo.whatsapp.id]);
  await em.execute('analyze conversation');
  // Still forbid reading the table whole, to see which index it would use.
  const detail = await em.transactional(async (tx) => {
    await tx.execute('set local enable_seqscan = off');
    const plan = (await tx.execute(`explain ${sql}`, bindings)) as { 'QUERY PLAN': string }[];
    return plan.map((row) => row['QUERY PLAN']).join('\n');
  });
  assert.match(detail, new RegExp(INDEX), detail);
  assert.match(detail, /Index Cond: .*inbox_id.*last_inbound_at/s, detail);
});
