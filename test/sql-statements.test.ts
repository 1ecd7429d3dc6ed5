import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationViewFullDocument, InboxListFullDocument, InboxListWithMessagesDocument } from './generated/graphql';
import { addBulkConversations } from './helpers/bulk';
import { startTestServer } from './helpers/server';
import type { Conversation } from '../src/modules/conversation/conversation.entity';

/**
 * No query per row: the inbox list and the conversation view issue the same number of SQL
 * statements whatever the page size (counted by the server and reported in extensions).
 */
test('SQL statements per request do not grow with the page size', async (t) => {
  let big!: Conversation;
  const s = await startTestServer({
    beforeStart: async (db, demo) => {
      await addBulkConversations(db.em.fork(), demo, { conversations: 60 });
      [big] = await addBulkConversations(db.em.fork(), demo, { conversations: 1, messagesEach: 60, reactEvery: 3 });
    },
  });
  t.after(() => s.close());
  const statements = async (res: Promise<{ extensions?: Record<string, unknown>; errors?: unknown }>) => {
    const r = await res;
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.extensions!.sqlStatements as number;
  };
  for (const token of [s.tokens.owner, s.tokens.agent]) {
    const c = s.client(token);
    const list5 = await statements(c.request(InboxListFullDocument, { first: 5 }));
    const list50 = await statements(c.request(InboxListFullDocument, { first: 50 }));
    assert.equal(list50, list5, `inbox list: ${list5} statements at 5, ${list50} at 50`);
    assert.ok(list50 <= 12, `inbox list uses ${list50} statements`);
    const view5 = await statements(c.request(ConversationViewFullDocument, { id: big.id, last: 5 }));
    const view50 = await statements(c.request(ConversationViewFullDocument, { id: big.id, last: 50 }));
    assert.equal(view50, view5, `conversation view: ${view5} statements at 5, ${view50} at 50`);
    assert.ok(view50 <= 12, `conversation view uses ${view50} statements`);
  }
  const page = await s.client().data(ConversationViewFullDocument, { id: big.id, last: 50 });
  assert.equal(page.conversation!.messages!.edges.length, 50);
  assert.ok(page.conversation!.messages!.edges.some((e) => e.node.reactions!.length > 0));
});

test('messages nested in the inbox list: the same SQL statements at 5 and at 50 conversations', async (t) => {
  const s = await startTestServer({
    deliveryWorker: false,
    beforeStart: async (db, demo) => {
      await addBulkConversations(db.em.fork(), demo, { conversations: 60, messagesEach: 6 });
    },
  });
  t.after(() => s.close());
  for (const token of [s.tokens.owner, s.tokens.agent]) {
    const c = s.client(token);
    const run = async (first: number) => {
      const r = await c.request(InboxListWithMessagesDocument, { first, messagesLast: 3 });
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data!.conversations.nodes.length, first);
      assert.ok(r.data!.conversations.nodes.every((n) => n.messages!.edges.length > 0 && n.messages!.edges.length <= 3));
      return r.extensions!.sqlStatements as number;
    };
    const at5 = await run(5);
    const at50 = await run(50);
    assert.equal(at50, at5, `inbox list with messages(last: 3): ${at5} statements at 5, ${at50} at 50`);
  }
});
