import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConversationMessagesPageDocument,
  InboxListWithMessagesDocument,
  type InboxListWithMessagesQueryVariables,
} from './generated/graphql';
import { errorCode } from './helpers/client';
import { addBulkConversations } from './helpers/bulk';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer, type TestServer } from './helpers/server';
import type { Conversation } from '../src/modules/conversation/conversation.entity';

/*
 * `Conversation.messages` inside the inbox list is answered for all conversations at once (one
 * windowed query); the conversation view asks for one. Both must give every conversation exactly
 * the page, cursors and pageInfo the conversation view gives it on its own.
 */

type PageArgs = Omit<InboxListWithMessagesQueryVariables, 'first'>;

function loaderTests(server: () => { s: TestServer; big: Conversation } | null) {
  async function samePages(args: PageArgs): Promise<void> {
    const ctx = server()!;
    const list = await ctx.s.client().data(InboxListWithMessagesDocument, { first: 50, ...args });
    assert.ok(list.conversations.nodes.length > 10);
    for (const node of list.conversations.nodes) {
      const alone = await ctx.s.client().data(ConversationMessagesPageDocument, { id: node.id, ...args });
      assert.deepEqual(node.messages, alone.conversation!.messages, `${JSON.stringify(args)} for ${node.id}`);
    }
  }

  test('first/last pages (and the default) equal the conversation view page of each conversation', async (t) => {
    if (!server()) return t.skip('database unavailable');
    for (const args of [{}, { messagesLast: 3 }, { messagesFirst: 2 }, { messagesLast: 0 }, { messagesFirst: 0 }, { messagesFirst: 100 }]) {
      await samePages(args);
    }
  });

  test('after/before cursors page each conversation from the cursor, as the conversation view does', async (t) => {
    const ctx = server();
    if (!ctx) return t.skip('database unavailable');
    const view = await ctx.s.client().data(ConversationMessagesPageDocument, { id: ctx.big.id, messagesFirst: 40 });
    const middle = view.conversation!.messages!.edges[20].cursor;
    await samePages({ messagesLast: 5, before: middle });
    await samePages({ messagesFirst: 5, after: middle });
    await samePages({ before: middle });
  });

  test('a bad cursor fails the field as it does in the conversation view', async (t) => {
    const ctx = server();
    if (!ctx) return t.skip('database unavailable');
    const list = await ctx.s.client().request(InboxListWithMessagesDocument, { first: 5, messagesLast: 2, before: 'not-a-cursor!' });
    const alone = await ctx.s
      .client()
      .request(ConversationMessagesPageDocument, { id: ctx.big.id, messagesLast: 2, before: 'not-a-cursor!' });
    assert.equal(errorCode(list), 'BAD_USER_INPUT');
    assert.equal(errorCode(alone), 'BAD_USER_INPUT');
    assert.deepEqual(list.errors![0].extensions!.fields, alone.errors![0].extensions!.fields);
  });
}

function suite(name: string, dialect: 'sqlite' | 'postgres') {
  describe(name, () => {
    let ctx: { s: TestServer; big: Conversation } | null = null;
    before(async () => {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) {
          console.log(`# SKIP PostgreSQL nested messages tests: ${why}`);
          return;
        }
      }
      let big!: Conversation;
      const s = await startTestServer({
        dialect,
        deliveryWorker: false,
        beforeStart: async (db, demo) => {
          // Conversations of 2, 7 and 60 messages besides the demo's own (some have none).
          await addBulkConversations(db.em.fork(), demo, { conversations: 10 });
          await addBulkConversations(db.em.fork(), demo, { conversations: 5, messagesEach: 7 });
          [big] = await addBulkConversations(db.em.fork(), demo, { conversations: 1, messagesEach: 60 });
        },
      });
      ctx = { s, big };
    });
    after(() => ctx?.s.close());
    loaderTests(() => ctx);
  });
}

suite('Conversation.messages in the inbox list (SQLite)', 'sqlite');
suite('Conversation.messages in the inbox list (PostgreSQL)', 'postgres');
