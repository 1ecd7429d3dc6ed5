import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConversationViewDocument,
  InboxListDocument,
  InboxesDocument,
  MessageByIdDocument,
  NodeByIdDocument,
  ViewerDocument,
  WindowAsDocument,
} from '../generated/graphql';
import { errorCode } from '../helpers/client';
import type { TestServer } from '../helpers/server';
import { Scope } from '../../src/modules/auth/scopes';
import { Tenant } from '../../src/modules/tenant/tenant.entity';
import { seedDemo } from '../../src/seed/demo';

/**
 * The read side of the API, as a frontend uses it. Registered once per database dialect, so the
 * same behaviour is asserted on the embedded SQLite and on PostgreSQL.
 */
export function registerQuerySuite(name: string, start: () => Promise<TestServer | null>): void {
  describe(name, () => {
    let s: TestServer;
    let skipped: string | null = null;
    before(async () => {
      const started = await start();
      if (!started) skipped = 'database unavailable';
      else s = started;
    });
    after(async () => {
      if (s) await s.close();
    });
    const it = (title: string, fn: () => Promise<void>) =>
      test(title, async (t) => {
        if (skipped) return t.skip(skipped);
        await fn();
      });
    const byName = (n: string) => s.demo.conversations.find((c) => c.name === n)!;

    it('viewer tells who is asking, in which workspace, with which scopes', async () => {
      const { viewer } = await s.client().data(ViewerDocument);
      assert.equal(viewer.user.name, 'Olivia Owner');
      assert.equal(viewer.user.role, 'OWNER');
      assert.equal(viewer.tenant.name, 'Acme Demo');
      assert.deepEqual([...viewer.scopes].sort(), [
        'CONVERSATION_ASSIGN',
        'CONVERSATION_CLOSE',
        'CONVERSATION_LIST',
        'CONVERSATION_READ',
        'INBOX_MANAGE',
        'MESSAGE_CREATE',
      ]);
    });

    it('the inbox list is newest activity first and pages through every conversation exactly once', async () => {
      const seen: string[] = [];
      const times: number[] = [];
      let after: string | null | undefined;
      for (;;) {
        const { conversations } = await s.client().data(InboxListDocument, { first: 4, after });
        for (const e of conversations.edges) {
          seen.push(e.node.id);
          times.push(Date.parse(e.node.lastActivityAt));
        }
        if (!conversations.pageInfo.hasNextPage) break;
        after = conversations.pageInfo.endCursor;
      }
      assert.equal(seen.length, s.demo.conversations.length);
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
    });

    it('last/before pages backwards over the same order', async () => {
      const all = (await s.client().data(InboxListDocument, { first: 100 })).conversations.edges.map((e) => e.node.id);
      const tail = await s.client().data(InboxListDocument, { last: 3 });
      assert.deepEqual(
        tail.conversations.edges.map((e) => e.node.id),
        all.slice(-3),
      );
      assert.equal(tail.conversations.pageInfo.hasPreviousPage, true);
      const prev = await s.client().data(InboxListDocument, { last: 3, before: tail.conversations.pageInfo.startCursor });
      assert.deepEqual(
        prev.conversations.edges.map((e) => e.node.id),
        all.slice(-6, -3),
      );
    });

    it('list items carry contact, assignee, inbox, last message, window and unread count', async () => {
      const { conversations } = await s.client(s.tokens.agent).data(InboxListDocument, { first: 50 });
      const anna = conversations.edges.find((e) => e.node.name === 'Anna Kowalska')!.node;
      assert.equal(anna.contact.name, 'Anna Kowalska');
      assert.equal(anna.assignee?.name, 'Alice Agent');
      assert.equal(anna.inbox.name, 'WhatsApp Support');
      assert.equal(anna.lastMessagePreview, 'Great, I will come by at 5pm.');
      assert.equal(anna.lastMessageSender, 'CUSTOMER');
      assert.equal(anna.unreadCount, 1, 'Alice read up to 40 minutes ago; one customer message came after');
      assert.equal(anna.window.canSend, true);
      assert.equal(anna.window.reason, 'OPEN');
    });

    it('filters narrow the list: status, inbox, assignee, unassigned, channel, interacted', async () => {
      const list = async (filter: Record<string, unknown>) =>
        (await s.client().data(InboxListDocument, { first: 100, filter })).conversations.edges.map((e) => e.node);
      const closed = await list({ status: ['CLOSED'] });
      assert.deepEqual(closed.map((c) => c.name).sort(), ['David Okafor', 'Ivan Petrov']);
      const sms = await list({ inboxId: s.demo.sms.id });
      assert.ok(sms.length > 0 && sms.every((c) => c.channel === 'SMS'));
      assert.deepEqual(
        (await list({ channel: 'SMS' })).map((c) => c.id),
        sms.map((c) => c.id),
      );
      const alice = await list({ assigneeId: s.demo.agent.id });
      assert.ok(alice.length > 0 && alice.every((c) => c.assignee?.id === s.demo.agent.id));
      const unassigned = await list({ unassigned: true });
      assert.ok(unassigned.length > 0 && unassigned.every((c) => c.assignee === null));
      const assigned = await list({ unassigned: false });
      assert.equal(assigned.length + unassigned.length, s.demo.conversations.length);
      const mine = (await s.client(s.tokens.agent).data(InboxListDocument, { first: 100, filter: { interacted: true } })).conversations
        .edges;
      assert.deepEqual(mine.map((e) => e.node.name).sort(), ['Anna Kowalska', 'Chloé Martin', 'David Okafor']);
    });

    it('an agent sees only the conversations of their inboxes; owners see the whole tenant', async () => {
      const agent = (await s.client(s.tokens.agent).data(InboxListDocument, { first: 100 })).conversations.edges;
      assert.ok(agent.length > 0 && agent.every((e) => e.node.channel === 'WHATSAPP'));
      const smsAgent = (await s.client(s.tokens.smsAgent).data(InboxListDocument, { first: 100 })).conversations.edges;
      assert.ok(smsAgent.length > 0 && smsAgent.every((e) => e.node.channel === 'SMS'));
      const inboxes = await s.client(s.tokens.agent).data(InboxesDocument, {});
      assert.deepEqual(
        inboxes.inboxes.nodes.map((i) => i.name),
        ['WhatsApp Support'],
      );
      const george = byName('George Brown');
      // A conversation you cannot see is a null lookup, like one that does not exist: no error, nothing revealed.
      const res = await s.client(s.tokens.agent).request(ConversationViewDocument, { id: george.id });
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.deepEqual(res.data, { conversation: null });
    });

    it('the conversation view pages messages from the newest, as a chat does', async () => {
      const anna = byName('Anna Kowalska');
      const page1 = (await s.client().data(ConversationViewDocument, { id: anna.id, last: 2 })).conversation;
      assert.deepEqual(
        page1!.messages!.edges.map((e) => (e.node.content as { body?: string }).body),
        ['Customer prefers afternoon pickups.', 'Great, I will come by at 5pm.'],
      );
      assert.equal(page1!.messages!.pageInfo.hasPreviousPage, true);
      const page2 = (
        await s.client().data(ConversationViewDocument, { id: anna.id, last: 10, before: page1!.messages!.pageInfo.startCursor })
      ).conversation;
      assert.equal(page2!.messages!.edges.length, 3);
      assert.equal(page2!.messages!.pageInfo.hasPreviousPage, false);
      const note = page1!.messages!.edges[0].node;
      assert.equal(note.contentKind, 'NOTE');
      assert.equal(note.direction, 'INTERNAL');
      assert.equal(note.deliveryStatus, null);
      const reacted = page2!.messages!.edges.find((e) => e.node.reactions?.length)!.node;
      assert.equal(reacted.reactions![0].emoji, '🙏');
      assert.equal(reacted.reactions![0].actor?.__typename, 'Contact');
      assert.equal(reacted.sender?.__typename, 'User');
    });

    it('message(id) shows delivery state, failure and history', async () => {
      const emma = byName('Emma Fischer');
      const view = (await s.client().data(ConversationViewDocument, { id: emma.id, last: 1 })).conversation;
      const { message } = await s.client().data(MessageByIdDocument, { id: view!.messages!.edges[0].node.id });
      assert.equal(message!.deliveryStatus, 'FAILED');
      assert.equal(message!.failure?.code, 'rejected');
      assert.deepEqual(
        message!.statusHistory.map((h) => h.status),
        ['PENDING', 'FAILED'],
      );
      assert.equal(message!.conversation.id, emma.id);
    });

    it('the window follows the channel: open, expired, never written, no window, and bot vs human', async () => {
      const win = async (n: string, as?: 'USER' | 'BOT') =>
        (await s.client().data(WindowAsDocument, { id: byName(n).id, as })).conversation!.window;
      const chloe = await win('Chloé Martin');
      assert.equal(chloe.canSend, false);
      assert.equal(chloe.reason, 'EXPIRED');
      assert.deepEqual(chloe.allowedContent, ['TEMPLATE', 'NOTE']);
      assert.equal(chloe.expiresAt, null);
      const emma = await win('Emma Fischer');
      assert.equal(emma.reason, 'NO_CUSTOMER_MESSAGE');
      assert.equal(emma.canSend, false);
      const george = await win('George Brown');
      assert.equal(george.reason, 'NO_WINDOW');
      assert.equal(george.canSend, true);
      const anna = await win('Anna Kowalska', 'BOT');
      assert.equal(anna.actor, 'BOT');
      assert.equal(anna.canSend, true);
      const last = s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!.lastInboundAt!;
      assert.equal(Date.parse(anna.expiresAt!), last.getTime() + 24 * 3600_000);
    });

    it('node(id) refetches every exposed kind, and nothing across tenants', async () => {
      const anna = byName('Anna Kowalska');
      const view = (await s.client().data(ConversationViewDocument, { id: anna.id, last: 5 })).conversation;
      const reaction = view!.messages!.edges.flatMap((e) => e.node.reactions ?? [])[0];
      const ids: [string, string][] = [
        [anna.id, 'Conversation'],
        [view!.messages!.edges[0].node.id, 'Message'],
        [view!.contact.id, 'Contact'],
        [view!.inbox.id, 'Inbox'],
        [s.demo.agent.id, 'User'],
        [s.demo.tenant.id, 'Tenant'],
        [reaction.id, 'Reaction'],
      ];
      for (const [id, typename] of ids) {
        const { node } = await s.client().data(NodeByIdDocument, { id });
        assert.equal(node?.__typename, typename, id);
        assert.equal(node?.id, id);
      }
      // A second workspace: its ids do not exist for us, and ours do not exist for it.
      const other = await seedDemo(s.db.em.fork());
      assert.equal((await s.client().data(NodeByIdDocument, { id: other.conversations[0].id })).node, null);
      const foreign = await s.client().request(ConversationViewDocument, { id: other.conversations[0].id });
      assert.deepEqual([foreign.errors, foreign.data], [undefined, { conversation: null }]);
      const foreignMsg = await s.client().request(MessageByIdDocument, { id: other.conversations[0].lastMessageId! });
      assert.deepEqual([foreignMsg.errors, foreignMsg.data], [undefined, { message: null }]);
      const rows = await s.db.em.fork().count(Tenant, {});
      assert.equal(rows, 2);
    });

    it('authentication: no token, a bad token, an expired token and a revoked user are UNAUTHENTICATED', async () => {
      const anon = await s.client(null).request(ViewerDocument);
      assert.equal(errorCode(anon), 'UNAUTHENTICATED');
      const bad = await s.client('sb_not-a-real-token').request(ViewerDocument);
      assert.equal(errorCode(bad), 'UNAUTHENTICATED');
      const expired = await s.token('owner', [Scope.CONVERSATION_LIST], { expiresAt: new Date(Date.now() - 1000) });
      assert.equal(errorCode(await s.client(expired).request(ViewerDocument)), 'UNAUTHENTICATED');
      const list = await s.client(null).request(InboxListDocument, { first: 1 });
      assert.equal(errorCode(list), 'UNAUTHENTICATED');
      assert.ok(list.data == null, 'no data for an anonymous request');
    });

    it('scopes: a token without conversation:list cannot list, and the error names the scope', async () => {
      const readOnly = await s.token('owner', [Scope.CONVERSATION_READ]);
      const res = await s.client(readOnly).request(InboxListDocument, { first: 1 });
      assert.equal(errorCode(res), 'FORBIDDEN');
      assert.deepEqual(res.errors![0].extensions!.missingScopes, ['conversation:list']);
      const ok = await s.client(readOnly).request(ConversationViewDocument, { id: byName('Anna Kowalska').id, last: 1 });
      assert.equal(ok.errors, undefined);
    });

    it('bad input is BAD_USER_INPUT naming the field, never a 500', async () => {
      const cases: [string, Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>, string][] = [
        ['malformed id', s.client().request(ConversationViewDocument, { id: 'not-an-id' }), 'id'],
        ['wrong kind of id', s.client().request(ConversationViewDocument, { id: s.demo.agent.id }), 'id'],
        ['page size over 100', s.client().request(InboxListDocument, { first: 101 }), 'first'],
        ['negative page size', s.client().request(InboxListDocument, { last: -1 }), 'last'],
        ['garbage cursor', s.client().request(InboxListDocument, { first: 5, after: '!!!' }), 'after'],
        ['first with last', s.client().request(InboxListDocument, { first: 5, last: 5 }), 'first'],
        ['malformed filter id', s.client().request(InboxListDocument, { first: 5, filter: { inboxId: 'cnv_nope' } }), 'filter.inboxId'],
      ];
      for (const [label, pending, field] of cases) {
        const res = await pending;
        assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', label);
        const fields = res.errors![0].extensions!.fields as { field: string }[];
        assert.equal(fields[0].field, field, label);
        assert.equal(JSON.stringify(res).includes('    at '), false, `${label}: no stack trace`);
      }
      // A cursor from another list (messages) used on the inbox list.
      const msgs = (await s.client().data(ConversationViewDocument, { id: byName('Anna Kowalska').id, last: 2 })).conversation!.messages!;
      const foreign = await s.client().request(InboxListDocument, { first: 5, after: msgs.pageInfo.startCursor });
      assert.equal(errorCode(foreign), 'BAD_USER_INPUT');
      assert.match(foreign.errors![0].message, /another list/);
      // Unknown enum values, as a variable and as a literal.
      const asVariable = await s
        .client()
        .raw('query($s: [ConversationStatus!]) { conversations(first: 1, filter: { status: $s }) { nodes { id } } }', { s: ['ARCHIVED'] });
      assert.equal(asVariable.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.notEqual(asVariable.status, 500);
      const asLiteral = await s.client().raw('{ conversations(first: 1, filter: { status: [ARCHIVED] }) { nodes { id } } }');
      assert.equal(asLiteral.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal((asLiteral.errors![0].extensions!.fields as { field: string }[])[0].field, 'filter.status');
    });
  });
}
