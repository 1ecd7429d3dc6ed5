import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessContactNodeDocument,
  AccessInboxPreviewsDocument,
  AccessMessageDocument,
  AccessSendPlainDocument,
  AccessSendReadHistoryDocument,
  AccessSendReadIdentitiesDocument,
  AccessSendReadNeighboursDocument,
  AccessSendReadReactionsDocument,
  type SendMessageInput,
} from './generated/graphql';
import { errorCode } from './helpers/client';
import { startTestServer, type TestServer } from './helpers/server';
import { PDF, uploadFile } from './helpers/upload';
import { Scope } from '../src/modules/auth/scopes';
import { Contact } from '../src/modules/contact/contact.entity';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { Message } from '../src/modules/message/message.entity';

/**
 * What a token reaches below the root field it was checked on: history needs conversation:read
 * wherever it is selected from, and contacts, messages and media follow inbox membership.
 */

const byName = (s: TestServer, name: string) => s.demo.conversations.find((c) => c.name === name)!;
const textTo = (s: TestServer, name: string, body: string, extra: Partial<SendMessageInput> = {}): SendMessageInput => ({
  recipient: { conversation: { conversationId: byName(s, name).id } },
  content: { text: { body } },
  ...extra,
});
const messageCount = (s: TestServer, conversationId: string) => s.db.em.fork().count(Message, { conversationId });
const forbiddenAt = (res: { errors?: readonly { path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[] }) =>
  (res.errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => [e.path?.join('.'), e.extensions?.missingScopes]);

describe('a token with message:create only', () => {
  let s: TestServer;
  let sendOnly: string;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
    sendOnly = await s.token('owner', [Scope.MESSAGE_CREATE]);
  });
  after(() => s.close());

  test('sends, and reads back the message and the conversation it landed in (but not message text: content, preview)', async () => {
    const anna = byName(s, 'Anna Kowalska');
    const res = await s.client(sendOnly).request(AccessSendPlainDocument, { input: textTo(s, 'Anna Kowalska', 'Plain send') });
    assert.deepEqual(
      forbiddenAt(res).sort(),
      [
        ['sendMessage.conversation.lastMessagePreview', ['conversation:read']],
        ['sendMessage.message.content', ['conversation:read']],
      ],
      JSON.stringify(res.errors),
    );
    const { message, conversation } = res.data!.sendMessage;
    assert.equal(message.deliveryStatus, 'PENDING');
    assert.equal(message.content, null);
    assert.equal(message.conversation.id, anna.id);
    assert.equal(conversation.lastMessagePreview, null);
    assert.ok(conversation.lastMessageAt);
    assert.equal(conversation.contact.name, 'Anna Kowalska');
  });

  test("cannot read the conversation's history through the payload: messages is null with FORBIDDEN, the rest of the payload is there", async () => {
    const anna = byName(s, 'Anna Kowalska');
    const before = await messageCount(s, anna.id);
    const res = await s.client(sendOnly).request(AccessSendReadHistoryDocument, { input: textTo(s, 'Anna Kowalska', 'Peek at history') });
    assert.deepEqual(forbiddenAt(res), [['sendMessage.conversation.messages', ['conversation:read']]]);
    // The send committed, so the client must learn it did (and which message it wrote): a retry would send twice.
    const payload = res.data!.sendMessage;
    assert.equal(payload.conversation.id, anna.id);
    assert.equal(payload.conversation.messages, null);
    assert.equal(JSON.stringify(res).includes('"nodes"'), false, 'no history leaked');
    assert.equal(await messageCount(s, anna.id), before + 1, 'the message was sent');
    const written = await s.db.em.fork().findOneOrFail(Message, { conversationId: anna.id }, { orderBy: { id: 'desc' } });
    assert.equal(payload.message.id, written.id, 'the payload names the message written');
    // With conversation:read as well, the same selection answers.
    const reader = await s.token('owner', [Scope.MESSAGE_CREATE, Scope.CONVERSATION_READ]);
    const ok = await s.client(reader).request(AccessSendReadHistoryDocument, { input: textTo(s, 'Anna Kowalska', 'Read history') });
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    assert.equal(ok.data!.sendMessage.conversation.messages!.nodes.at(-1)!.id, ok.data!.sendMessage.message.id);
  });

  test('lastMessage and replyTo are refused field by field; the rest of the payload is there', async () => {
    const anna = byName(s, 'Anna Kowalska');
    const quoted = await s.db.em.fork().findOneOrFail(Message, { conversationId: anna.id }, { orderBy: { id: 'asc' } });
    const res = await s.client(sendOnly).request(AccessSendReadNeighboursDocument, {
      input: textTo(s, 'Anna Kowalska', 'Quoting', { replyToMessageId: quoted.id }),
    });
    assert.deepEqual(forbiddenAt(res).sort(), [
      ['sendMessage.conversation.lastMessage', ['conversation:read']],
      ['sendMessage.conversation.lastMessagePreview', ['conversation:read']],
      ['sendMessage.message.replyTo', ['conversation:read']],
    ]);
    const payload = res.data!.sendMessage;
    assert.match(payload.message.id, /^msg_/);
    assert.equal(payload.message.replyTo, null);
    assert.equal(payload.conversation.lastMessage, null);
    assert.equal(payload.conversation.lastMessagePreview, null);
  });

  test("cannot read reactions or the contact's identities through the payload; the message and contact are there", async () => {
    const reactions = await s
      .client(sendOnly)
      .request(AccessSendReadReactionsDocument, { input: textTo(s, 'Anna Kowalska', 'Reactions?') });
    assert.deepEqual(forbiddenAt(reactions), [['sendMessage.message.reactions', ['conversation:read']]]);
    assert.match(reactions.data!.sendMessage.message.id, /^msg_/);
    assert.equal(reactions.data!.sendMessage.message.reactions, null);
    const identities = await s
      .client(sendOnly)
      .request(AccessSendReadIdentitiesDocument, { input: textTo(s, 'Anna Kowalska', 'Identities?') });
    assert.deepEqual(forbiddenAt(identities), [['sendMessage.conversation.contact.identities', ['conversation:read']]]);
    assert.equal(identities.data!.sendMessage.conversation.contact.id, byName(s, 'Anna Kowalska').contactId);
    assert.equal(identities.data!.sendMessage.conversation.contact.identities, null);
    assert.equal(JSON.stringify(identities).includes('+48123456789'), false);
  });
});

describe('the inbox list with conversation:list only', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
  });
  after(() => s.close());

  test('lists conversations but not the text of their last message', async () => {
    const previews = (await s.db.em.fork().find(Conversation, { tenantId: s.demo.tenant.id, lastMessagePreview: { $ne: null } })).map(
      (c) => c.lastMessagePreview!,
    );
    assert.ok(previews.length > 0, 'the demo has previews to leak');
    const lister = await s.token('owner', [Scope.CONVERSATION_LIST]);
    const res = await s.client(lister).request(AccessInboxPreviewsDocument);
    const nodes = res.data!.conversations.nodes;
    assert.ok(nodes.length > 0);
    assert.ok(nodes.every((n) => n.lastMessagePreview === null && n.name !== undefined));
    assert.ok(res.errors!.every((e) => e.extensions?.code === 'FORBIDDEN' && e.path?.at(-1) === 'lastMessagePreview'));
    for (const text of previews) assert.equal(JSON.stringify(res).includes(text), false, `leaked "${text}"`);
    // With conversation:read as well, the previews are there.
    const reader = await s.token('owner', [Scope.CONVERSATION_LIST, Scope.CONVERSATION_READ]);
    const read = await s.client(reader).data(AccessInboxPreviewsDocument);
    assert.ok(read.conversations.nodes.some((n) => n.lastMessagePreview && previews.includes(n.lastMessagePreview)));
  });
});

describe('inbox membership below the root field', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
  });
  after(() => s.close());

  const contactOf = (name: string) => byName(s, name).contactId;

  test('an agent reaches a contact only through a conversation in one of their inboxes', async () => {
    const whatsappContact = contactOf('Anna Kowalska');
    const smsContact = contactOf('George Brown');
    const node = (token: string, id: string) =>
      s
        .client(token)
        .data(AccessContactNodeDocument, { id })
        .then((d) => d.node);

    assert.equal(await node(s.tokens.smsAgent, whatsappContact), null, 'an SMS-only agent cannot fetch a WhatsApp contact');
    assert.equal(await node(s.tokens.agent, smsContact), null, 'nor a WhatsApp agent an SMS contact');
    const seen = await node(s.tokens.agent, whatsappContact);
    assert.equal(seen?.__typename, 'Contact');
    assert.deepEqual(seen?.__typename === 'Contact' && seen.identities?.map((i) => i.address), ['+48123456789']);
    assert.equal((await node(s.tokens.smsAgent, smsContact))?.id, smsContact);
    for (const id of [whatsappContact, smsContact]) assert.equal((await node(s.tokens.owner, id))?.id, id, 'owners see the whole tenant');
    assert.equal((await node(s.tokens.admin, smsContact))?.id, smsContact, 'so do admins');

    // A contact without any conversation is the workspace's, not an agent's.
    const em = s.db.em.fork();
    const loner = em.create(Contact, { tenantId: s.demo.tenant.id, name: 'No Conversation Yet', createdAt: new Date() });
    await em.flush();
    assert.equal(await node(s.tokens.agent, loner.id), null);
    assert.equal((await node(s.tokens.owner, loner.id))?.id, loner.id);
  });

  test("a message is visible through its conversation's inbox, even if a row names another inbox", async () => {
    const anna = byName(s, 'Anna Kowalska');
    const george = byName(s, 'George Brown');
    const em = s.db.em.fork();
    const template = await em.findOneOrFail(Message, { conversationId: anna.id }, { orderBy: { id: 'asc' } });
    // A row that breaks the one-inbox-per-conversation invariant: a WhatsApp thread's message naming the SMS inbox.
    const stray = em.create(Message, {
      tenantId: template.tenantId,
      conversationId: anna.id,
      inboxId: s.demo.sms.id,
      direction: template.direction,
      senderType: template.senderType,
      contentKind: template.contentKind,
      content: template.content,
      statusHistory: [],
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await em.flush();
    const read = (token: string, id: string) => s.client(token).request(AccessMessageDocument, { id });

    // A message you cannot see is a null lookup, exactly like one that does not exist: no error, nothing revealed.
    const unseen = async (token: string, id: string) => {
      const res = await read(token, id);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data?.message;
    };
    assert.equal(await unseen(s.tokens.smsAgent, stray.id), null, 'the SMS agent cannot see into a WhatsApp conversation');
    assert.equal((await read(s.tokens.owner, stray.id)).data?.message?.conversation.id, anna.id);
    // Rows that keep the invariant: each agent sees their own inbox's messages, and only those.
    const annaMessage = template.id;
    const georgeMessage = (await em.findOneOrFail(Message, { conversationId: george.id })).id;
    assert.equal((await read(s.tokens.agent, annaMessage)).data?.message?.id, annaMessage);
    assert.equal(await unseen(s.tokens.smsAgent, annaMessage), null);
    assert.equal((await read(s.tokens.smsAgent, georgeMessage)).data?.message?.id, georgeMessage);
    assert.equal(await unseen(s.tokens.agent, georgeMessage), null);
    assert.equal((await em.findOneOrFail(Conversation, { id: anna.id })).inboxId, s.demo.whatsapp.id);
  });

  test('GET /media/:id with a bearer token needs conversation:read; the signed URL does not', async () => {
    const media = await uploadFile(s, s.demoToken);
    const get = (token: string | null, path = `/media/${media.id}`) =>
      fetch(`${s.httpUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    const sendOnly = await s.token('owner', [Scope.MESSAGE_CREATE, Scope.CONVERSATION_LIST]);
    const refused = await get(sendOnly);
    assert.equal(refused.status, 404);
    assert.equal(errorCode((await refused.json()) as { errors: [] }), 'NOT_FOUND');
    const reader = await s.token('owner', [Scope.CONVERSATION_READ]);
    const allowed = await get(reader);
    assert.equal(allowed.status, 200);
    assert.ok(Buffer.from(await allowed.arrayBuffer()).equals(PDF));
    assert.equal((await get(null, media.url)).status, 200, 'the signed URL is the grant by itself');
  });
});

test('the operation gate: introspection is open, any data needs a token (401), checked once per operation', async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  const anon = s.client(null);
  const schema = await anon.raw('{ __schema { queryType { name } } __typename }');
  assert.equal(schema.errors, undefined);
  assert.equal((schema.data as { __typename: string }).__typename, 'Query');
  const viaFragment = await anon.raw('query { ...Q } fragment Q on Query { viewer { id } }');
  assert.equal(viaFragment.status, 401);
  assert.equal(viaFragment.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(viaFragment.data, undefined, 'nothing executed');
  const mutation = await anon.raw(
    'mutation { closeConversation(conversationId: "cnv_01M7YH6MDMM3D7WTNSRN918XFA") { conversation { id } } }',
  );
  assert.equal(mutation.status, 401);
  assert.equal(mutation.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  const bad = await s.client('sb_revoked-or-made-up').raw('{ viewer { id } }');
  assert.equal(bad.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.match(bad.errors![0].message, /invalid, expired or revoked/);
});
