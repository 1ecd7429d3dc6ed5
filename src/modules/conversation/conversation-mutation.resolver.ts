import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { Scope } from '../auth/scopes';
import { loadMessage } from '../message/message.resolver';
import { closeConversation, markConversationRead, reassignConversation, type ConversationChange } from './conversation-actions.service';
import { CloseConversationPayload, MarkConversationReadPayload, ReassignConversationPayload } from './conversation-actions.types';
import type { Conversation } from './conversation.entity';
import { loadConversation } from './conversation.resolver';

/** Makes the rest of this request read the state the action committed. */
function settle(ctx: AppContext, change: ConversationChange): Conversation {
  const { loaders } = auth(ctx);
  const { conversation } = change;
  // Loaders cache per request: anything read before the change must not answer for it.
  loaders.conversation.clear(conversation.id).prime(conversation.id, conversation);
  loaders.readInboundCount.clear(conversation.id);
  return conversation;
}

@Resolver()
export class ConversationMutationResolver {
  @RequireScopes(Scope.CONVERSATION_ASSIGN)
  @Mutation(() => ReassignConversationPayload, {
    description:
      "Assigns the conversation to a teammate, or unassigns it with `userId: null` (pass null explicitly: leaving userId out is refused, so a dropped variable never unassigns). The assignee must be an active teammate who works the conversation's inbox (an inbox member, or an owner or admin); otherwise BAD_USER_INPUT naming `userId`. Assigning the current assignee again changes nothing.",
  })
  async reassignConversation(
    @Ctx() ctx: AppContext,
    @Arg('conversationId', () => ID, { description: 'The conversation to (un)assign.' }) conversationId: string,
    @Arg('userId', () => ID, { nullable: true, description: 'The new assignee; null unassigns.' }) userId: string | null | undefined,
  ): Promise<ReassignConversationPayload> {
    const { viewer } = auth(ctx);
    if (userId === undefined) throw Errors.field('userId', 'is required; pass null to unassign.');
    const assigneeId = userId === null ? null : parseId('userId', userId, 'user');
    const conversation = await loadConversation(ctx, 'conversationId', conversationId);
    const change = await reassignConversation(ctx.deps, ctx.em, viewer, conversation, assigneeId);
    return { conversation: settle(ctx, change) };
  }

  @RequireScopes(Scope.CONVERSATION_READ)
  @Mutation(() => MarkConversationReadPayload, {
    description:
      'Marks the conversation read for you up to `lastMessageId` (a message of this conversation). Your read marker never moves backwards: an older message than the one you already read changes nothing.',
  })
  async markConversationRead(
    @Ctx() ctx: AppContext,
    @Arg('conversationId', () => ID, { description: 'The conversation to mark read.' }) conversationId: string,
    @Arg('lastMessageId', () => ID, { description: 'The newest message you have seen (usually the last one shown).' })
    lastMessageId: string,
  ): Promise<MarkConversationReadPayload> {
    const { viewer } = auth(ctx);
    parseId('lastMessageId', lastMessageId, 'message');
    const conversation = await loadConversation(ctx, 'conversationId', conversationId);
    const message = await loadMessage(ctx, 'lastMessageId', lastMessageId);
    const change = await markConversationRead(ctx.deps, ctx.em, viewer, conversation, message);
    return { conversation: settle(ctx, change) };
  }

  @RequireScopes(Scope.CONVERSATION_CLOSE)
  @Mutation(() => CloseConversationPayload, {
    description:
      'Closes the active session of the conversation; it becomes CLOSED and keeps its history. The next inbound message or outbound send opens a new session. Closing a closed conversation changes nothing.',
  })
  async closeConversation(
    @Ctx() ctx: AppContext,
    @Arg('conversationId', () => ID, { description: 'The conversation to close.' }) conversationId: string,
  ): Promise<CloseConversationPayload> {
    const { viewer } = auth(ctx);
    const conversation = await loadConversation(ctx, 'conversationId', conversationId);
    const change = await closeConversation(ctx.deps, ctx.em, viewer, conversation);
    return { conversation: settle(ctx, change) };
  }
}
