import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getNamedType, isInterfaceType, isNonNullType, isObjectType, isUnionType, type GraphQLField, type GraphQLSchema } from 'graphql';
import { REQUIRED_SCOPES_EXTENSION } from '../../src/graphql/authorization';
import { buildAppSchema } from '../../src/graphql/schema';
import { Scope } from '../../src/modules/auth/scopes';

/**
 * Message content needs conversation:read wherever it is selected from. This walks the built schema
 * from every root field the way a token WITHOUT conversation:read can (fields that declare the scope
 * through `@RequireScopes` are dead ends for it) and fails on any field it reaches whose name looks
 * like message content, unless the field is listed below with the reason it is not a leak. A new
 * field named like content cannot slip through: it needs the scope or an entry here.
 */

/** Names of fields that may carry message content. */
const CONTENT_NAME = /text|preview|content|body|message|caption|snippet|transcript|quote/i;

/** Fields the walk does not follow: their resolver checks scopes itself, or what they lead to is accounted for. */
const CHECKED_INSIDE: Record<string, string> = {
  'Query.node':
    'node(id:) checks the scope per id kind (NODE_LOADERS: conversation:read for contacts, conversations, messages, media, reactions)',
};

/** Reached without conversation:read and named like content, yet not message content: why. */
const NOT_CONTENT: Record<string, string> = {
  'Mutation.sendMessage': 'the send itself (message:create)',
  'Mutation.reactToMessage': 'the reaction itself (message:create)',
  'Mutation.retryMessage': 'the retry itself (message:create)',
  'Mutation.simulateInboundMessage': 'plays the customer; the caller supplies the text (message:create, sandbox inboxes)',
  'SendMessagePayload.message': 'the message this send wrote; its history-bearing fields are guarded',
  'ReactToMessagePayload.message': 'the message reacted to; its history-bearing fields are guarded',
  'RetryMessagePayload.message': 'the message retried; its history-bearing fields are guarded',
  'SimulateInboundPayload.message': 'the message the caller just simulated',
  'Reaction.message': 'the message a reaction (reached from a payload) is on; its history-bearing fields are guarded',
  'Message.contentKind': 'which kind of content (TEXT, MEDIA, …), not the content',
  'Message.channelMessageId': "the provider's id for the message",
  'Message.clientMessageId': 'the id the sending client chose',
  'Window.allowedContent': 'which content kinds the window allows',
  'InboxCapabilities.maxTextLength': 'a channel limit',
  'InboxCapabilities.textLengthUnit': 'a channel limit',
  'InboxCapabilities.contentKinds': 'what the channel can carry',
  'Conversation.lastMessageAt': 'a timestamp',
  'Conversation.lastMessageSender': 'who wrote last (customer, user, bot), not what',
  'InboxCapabilities.richContent': 'whether the channel takes cards and buttons',
  'InboxConnectionTest.message': "the provider's answer to a connection test (inbox:manage), not a customer message",
  'MessageTemplateComponent.text': "an approved template's wording (the business's own, listed by the provider), not a customer message",
  'MessageTemplateButton.text': "an approved template's button label, not a customer message",
};

/** Every field coordinate a token without `missing` reaches from the roots, with the path it took. */
function reachable(schema: GraphQLSchema, missing: Scope): Map<string, string> {
  const seen = new Map<string, string>();
  const visitedTypes = new Set<string>();
  const queue: { type: string; path: string }[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (root) queue.push({ type: root.name, path: root.name });
  }
  const follow = (typeName: string, path: string) => {
    if (!visitedTypes.has(typeName)) queue.push({ type: typeName, path });
  };
  while (queue.length) {
    const { type: name, path } = queue.shift()!;
    if (visitedTypes.has(name)) continue;
    visitedTypes.add(name);
    const type = schema.getType(name);
    if (isUnionType(type)) for (const member of type.getTypes()) follow(member.name, `${path}(${member.name})`);
    if (isInterfaceType(type)) for (const impl of schema.getPossibleTypes(type)) follow(impl.name, `${path}(${impl.name})`);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      const coordinate = `${name}.${field.name}`;
      const scopes = (field.extensions?.[REQUIRED_SCOPES_EXTENSION] ?? []) as Scope[];
      if (scopes.includes(missing)) continue;
      if (!seen.has(coordinate)) seen.set(coordinate, `${path}.${field.name}`);
      if (CHECKED_INSIDE[coordinate]) continue;
      follow(getNamedType(field.type).name, `${path}.${field.name}`);
    }
  }
  return seen;
}

test('every field showing message content needs conversation:read, wherever a token without it can reach it from', async () => {
  const schema = await buildAppSchema();
  const reached = reachable(schema, Scope.CONVERSATION_READ);
  const leaks = [...reached]
    .filter(([coordinate]) => CONTENT_NAME.test(coordinate.split('.')[1]) && !NOT_CONTENT[coordinate])
    .map(([coordinate, path]) => `${coordinate} (via ${path})`);
  assert.deepEqual(leaks, [], 'content fields reachable without conversation:read: add @RequireScopes(Scope.CONVERSATION_READ)');
  // The lists above stay true: every entry names a field that exists and is still reached.
  for (const coordinate of [...Object.keys(NOT_CONTENT), ...Object.keys(CHECKED_INSIDE)]) {
    assert.ok(reached.has(coordinate), `${coordinate} is listed but no longer reached without conversation:read: drop it`);
  }
});

test('the fields that show history declare conversation:read, and a field a scope can refuse is nullable', async () => {
  const schema = await buildAppSchema();
  const guarded: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const scopes = (field.extensions?.[REQUIRED_SCOPES_EXTENSION] ?? []) as Scope[];
      if (!scopes.length) continue;
      const root = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].includes(type);
      if (scopes.includes(Scope.CONVERSATION_READ) && !root) guarded.push(`${type.name}.${field.name}`);
      // Below the root a refusal must null the field only, never its parents: a mutation payload stays.
      if (!root)
        assert.equal(isNonNullType(field.type), false, `${type.name}.${field.name} can be refused for scope, so it must be nullable`);
    }
  }
  for (const coordinate of [
    'Conversation.messages',
    'Conversation.lastMessage',
    'Conversation.lastMessagePreview',
    'Message.reactions',
    'Message.content',
    'Message.replyTo',
    'Contact.identities',
  ]) {
    assert.ok(guarded.includes(coordinate), `${coordinate} needs conversation:read`);
  }
});
