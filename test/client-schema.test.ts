import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamInboxEventsDocument, type StreamInboxEventsSubscription } from './generated/graphql';
import { errorCode, type GqlResponse } from './helpers/client';
import { addMessage } from './helpers/events';
import { startTestServer, type TestServer } from './helpers/server';
import { PDF, uploadFile } from './helpers/upload';
import { SubscriptionCollector, wsClient } from './helpers/subscriptions';
import { encodeEventCursor } from '../src/modules/event/event-cursor';
import { Message } from '../src/modules/message/message.entity';
import { Tenant } from '../src/modules/tenant/tenant.entity';

/**
 * The schema as a client library meets it: `@oneOf` inputs, event ids, null lookups, enums,
 * one Actor shape, `nodes(ids:)`, `totalCount` and the 401 challenge.
 */

const fieldsOf = (res: GqlResponse<unknown>): string[] =>
  ((res.errors?.[0]?.extensions?.fields ?? []) as { field: string }[]).map((f) => f.field);

describe('the schema as clients meet it', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
  });
  after(() => s.close());

  const annaConversation = () => s.demo.conversations.find((c) => c.name === 'Anna Kowalska')!.id;
  const messageCount = () => s.db.em.fork().count(Message, {});

  test('@oneOf inputs: a literal with two alternatives (or none, or a null one) is BAD_USER_INPUT naming the input, and sends nothing', async () => {
    const before = await messageCount();
    const conversation = `{ conversationId: "${annaConversation()}" }`;
    const cases: [string, string][] = [
      [`recipient: { conversation: ${conversation}, contact: { contactId: "x" } }, content: { text: { body: "a" } }`, 'input.recipient'],
      [`recipient: {}, content: { text: { body: "a" } }`, 'input.recipient'],
      [`recipient: { conversation: ${conversation} }, content: { text: { body: "a" }, note: { body: "b" } }`, 'input.content'],
      [`recipient: { conversation: ${conversation} }, content: { text: null }`, 'input.content'],
    ];
    for (const [input, field] of cases) {
      const res = await s.client().raw(`mutation { sendMessage(input: { ${input} }) { message { id } } }`);
      assert.equal(errorCode(res), 'BAD_USER_INPUT', JSON.stringify(res.errors));
      assert.deepEqual(fieldsOf(res), [field], JSON.stringify(res.errors));
      assert.notEqual(res.status, 500);
    }
    // Variables too: graphql coerces them against @oneOf before anything runs.
    const res = await s.client().raw('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }', {
      input: { recipient: { conversation: { conversationId: annaConversation() }, contact: null }, content: { text: { body: 'a' } } },
    });
    assert.equal(errorCode(res), 'BAD_USER_INPUT', JSON.stringify(res.errors));
    assert.deepEqual(fieldsOf(res), ['input.recipient'], JSON.stringify(res.errors));
    assert.equal(await messageCount(), before, 'a refused send wrote a message');
  });

  test('@oneOf is in the schema clients introspect', async () => {
    const res = await s.client().raw('{ __type(name: "RecipientInput") { isOneOf } c: __type(name: "MessageContentInput") { isOneOf } }');
    assert.deepEqual(res.data, { __type: { isOneOf: true }, c: { isOneOf: true } });
  });

  test('events carry the id of their log entry: live and replayed deliveries of one event have the same id', async (t) => {
    const tenant = await s.db.em.fork().findOneOrFail(Tenant, { id: s.demo.tenant.id });
    const start = encodeEventCursor(Number(tenant.eventSeq));
    const live = wsClient(s.url, s.tokens.owner);
    t.after(() => live.dispose());
    const liveSub = new SubscriptionCollector<StreamInboxEventsSubscription>(live, StreamInboxEventsDocument, { after: start });
    const added = await addMessage(s, s.demo.conversations[0], { text: 'has an id', from: 'customer' });
    const delivered = await liveSub.waitFor((r) => r.data?.inboxEvents.type === 'MESSAGE_ADDED');
    assert.equal(delivered.data!.inboxEvents.id, added.event.id);

    const replay = wsClient(s.url, s.tokens.owner);
    t.after(() => replay.dispose());
    const replaySub = new SubscriptionCollector<StreamInboxEventsSubscription>(replay, StreamInboxEventsDocument, { after: start });
    const replayed = await replaySub.waitFor((r) => r.data?.inboxEvents.cursor === delivered.data!.inboxEvents.cursor);
    assert.equal(replayed.data!.inboxEvents.id, added.event.id);
    liveSub.stop();
    replaySub.stop();
  });

  test('lookups by id: a stale or hidden id is null with no error and the rest of the response stays; a malformed id is BAD_USER_INPUT', async () => {
    const stale = { c: 'cnv_01HV8Z2G8Z3H5M9K2S6A1N0P4X', m: 'msg_01HV8Z2G8Z3H5M9K2S6A1N0P4X' };
    const george = s.demo.conversations.find((c) => c.name === 'George Brown')!.id; // SMS: Alice (agent) works WhatsApp only
    const doc = (c: string, m: string) =>
      `{ viewer { id } conversation(id: "${c}") { id } message(id: "${m}") { id } node(id: "${c}") { id } }`;
    const res = await s.client(s.tokens.agent).raw(doc(george, stale.m));
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual({ ...res.data, viewer: undefined }, { viewer: undefined, conversation: null, message: null, node: null });
    assert.ok((res.data!.viewer as { id: string }).id, 'the rest of the response stays');
    const seen = await s.client().raw(doc(george, stale.m));
    assert.deepEqual(seen.data?.conversation, { id: george }, 'the owner sees it');

    for (const [query, field] of [
      [`{ conversation(id: "msg_01HV8Z2G8Z3H5M9K2S6A1N0P4X") { id } }`, 'id'],
      [`{ message(id: "nope") { id } }`, 'id'],
    ] as const) {
      const bad = await s.client().raw(query);
      assert.equal(errorCode(bad), 'BAD_USER_INPUT', JSON.stringify(bad.errors));
      assert.deepEqual(fieldsOf(bad), [field]);
    }
  });

  test('HTTP 401 answers carry a Bearer challenge: invalid_token when a token was sent and refused', async () => {
    const query = '{ viewer { id } }';
    const none = await s.client(null).raw(query);
    assert.equal(none.status, 401);
    assert.equal(errorCode(none), 'UNAUTHENTICATED');
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="switchboard"');
    const bad = await s.client('sb_not-a-real-token').raw(query);
    assert.equal(bad.status, 401);
    assert.equal(
      bad.headers.get('www-authenticate'),
      'Bearer realm="switchboard", error="invalid_token", error_description="The bearer token is invalid, expired or revoked."',
    );
    const ok = await s.client().raw(query);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('www-authenticate'), null);
  });

  test('MediaContent.url of an uploaded file is a signed URL that serves the bytes without a token', async () => {
    const mediaId = (await uploadFile(s, s.demoToken)).id;
    const conversationId = annaConversation();
    const sent = await s
      .client()
      .raw(
        `mutation ($c: ID!, $m: ID!) { sendMessage(input: { recipient: { conversation: { conversationId: $c } }, content: { media: { mediaId: $m } } }) { message { id } } }`,
        { c: conversationId, m: mediaId },
      );
    assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
    const messageId = (sent.data as { sendMessage: { message: { id: string } } }).sendMessage.message.id;
    const read = await s.client().raw(`{ message(id: "${messageId}") { content { ... on MediaContent { mediaId url } } } }`);
    const content = (read.data as { message: { content: { mediaId: string; url: string | null } } }).message.content;
    assert.equal(content.mediaId, mediaId);
    assert.match(content.url ?? '', new RegExp(`^/media/${mediaId}\\?`));
    const bytes = await fetch(`${s.httpUrl}${content.url}`);
    assert.equal(bytes.status, 200);
    assert.deepEqual(Buffer.from(await bytes.arrayBuffer()), PDF);
  });

  test('nodes(ids:) refetches many ids in order, null for what you cannot see, with the same SQL for 2 ids or 12', async () => {
    const convs = s.demo.conversations;
    const whatsapp = convs.filter((c) => c.inboxId === s.demo.whatsapp.id);
    const george = convs.find((c) => c.name === 'George Brown')!; // SMS: hidden from Alice
    const stale = 'cnv_01HV8Z2G8Z3H5M9K2S6A1N0P4X';
    const ask = (token: string, ids: string[]) =>
      s.client(token).raw('query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }', { ids });
    const res = await ask(s.tokens.agent, [whatsapp[0].id, george.id, stale, s.demo.agent.id]);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(res.data!.nodes, [
      { __typename: 'Conversation', id: whatsapp[0].id },
      null,
      null,
      { __typename: 'User', id: s.demo.agent.id },
    ]);
    const statements = async (ids: string[]) => (await ask(s.tokens.owner, ids)).extensions!.sqlStatements as number;
    const few = await statements(convs.slice(0, 2).map((c) => c.id));
    const many = await statements([...convs.map((c) => c.id), ...convs.map((c) => c.id)].slice(0, 12));
    assert.ok(convs.length >= 6, 'the demo has enough conversations');
    assert.equal(many, few, 'one batch per kind, not one statement per id');
    const bad = await ask(s.tokens.owner, [whatsapp[0].id, 'nope']);
    assert.equal(errorCode(bad), 'BAD_USER_INPUT');
    assert.deepEqual(fieldsOf(bad), ['ids[1]']);
  });

  test('conversations.totalCount counts every page of the filtered list, and costs a statement only when selected', async () => {
    const list = (selection: string, filter = '{ status: [OPEN] }') =>
      s.client(s.tokens.agent).raw(`{ conversations(first: 2, filter: ${filter}) { ${selection} } }`);
    const all = await s.client(s.tokens.agent).raw('{ conversations(first: 100, filter: { status: [OPEN] }) { nodes { id } } }');
    const expected = (all.data!.conversations as { nodes: unknown[] }).nodes.length;
    assert.ok(expected > 2, 'more than one page');
    const counted = await list('totalCount nodes { id }');
    assert.equal(counted.errors, undefined, JSON.stringify(counted.errors));
    assert.equal((counted.data!.conversations as { totalCount: number }).totalCount, expected);
    const plain = await list('nodes { id }');
    assert.equal((counted.extensions!.sqlStatements as number) - (plain.extensions!.sqlStatements as number), 1);
    const none = await list('totalCount', '{ channel: TELEGRAM, status: [CLOSED] }');
    assert.equal((none.data!.conversations as { totalCount: number }).totalCount, 0);
  });

  test('Actor is one shape: sender and reaction actors answer `id` and `name` without fragments, for users and contacts alike', async () => {
    const res = await s
      .client()
      .raw(
        `{ conversation(id: "${annaConversation()}") { contact { id } messages(last: 50) { nodes { senderType sender { __typename id name } } } } }`,
      );
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const view = res.data!.conversation as {
      contact: { id: string };
      messages: { nodes: { senderType: string; sender: { __typename: string; id: string; name: string | null } | null }[] };
    };
    const customer = view.messages.nodes.find((m) => m.senderType === 'CUSTOMER')!;
    assert.deepEqual(customer.sender, { __typename: 'Contact', id: view.contact.id, name: 'Anna Kowalska' });
    const teammate = view.messages.nodes.find((m) => m.senderType === 'USER')!;
    assert.equal(teammate.sender?.__typename, 'User');
    assert.ok(teammate.sender?.name);
  });

  test('closed sets are GraphQL enums in output (template parts and parameters, card actions); failure codes stay an open String', async () => {
    const res = await s
      .client()
      .raw(
        '{ a: __type(name: "TemplateComponent") { fields { name type { kind name ofType { name } } } } b: __type(name: "TemplateParameter") { fields { name type { kind name ofType { name } } } } c: __type(name: "CardAction") { fields { name type { kind name ofType { name } } } } d: __type(name: "DeliveryFailure") { fields { name type { kind name ofType { name } } } } }',
      );
    type Fields = { fields: { name: string; type: { ofType: { name: string } | null } }[] };
    const typeOf = (t: string, field: string) => (res.data![t] as Fields).fields.find((f) => f.name === field)!.type.ofType?.name;
    assert.equal(typeOf('a', 'type'), 'TemplateComponentKind');
    assert.equal(typeOf('b', 'type'), 'TemplateParameterKind');
    assert.equal(typeOf('c', 'type'), 'CardActionKind');
    assert.equal(typeOf('d', 'code'), 'String');
  });
});
