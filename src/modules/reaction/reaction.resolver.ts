import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
import { loadMessage } from '../message/message.resolver';
import { reactToMessage } from './reaction.service';
import { ReactToMessagePayload } from './reaction.types';

@Resolver()
export class ReactionMutationResolver {
  @RequireScopes(Scope.MESSAGE_CREATE)
  @Mutation(() => ReactToMessagePayload, {
    description:
      'Sets your reaction on a message to one emoji, or removes it with `removed: true`. One reaction per person per message: a new emoji replaces the old. Reacting with the same emoji again, or removing an emoji you have not reacted with, changes nothing. `emoji` must be exactly one emoji (BAD_USER_INPUT otherwise); channels without reactions (SMS, email) refuse with UNSUPPORTED_CONTENT.',
  })
  async reactToMessage(
    @Ctx() ctx: AppContext,
    @Arg('messageId', () => ID, { description: 'The message to react to.' }) messageId: string,
    @Arg('emoji', () => String, { description: 'Exactly one emoji; skin tones, ZWJ sequences, flags and keycaps count as one.' })
    emoji: string,
    @Arg('removed', () => Boolean, { nullable: true, defaultValue: false, description: 'True removes your reaction with this emoji.' })
    removed: boolean | null,
  ): Promise<ReactToMessagePayload> {
    const { viewer, loaders } = auth(ctx);
    const message = await loadMessage(ctx, 'messageId', messageId);
    // Visible message ⇒ visible conversation: both are gated by the same inbox.
    const conversation = (await loaders.conversation.load(message.conversationId))!;
    const change = await reactToMessage(ctx.deps, ctx.em, viewer, message, conversation, emoji, removed ?? false);
    // Loaders cache per request: the message's reactions must be read again.
    loaders.reactionsByMessage.clear(message.id);
    return { message: change.message, reaction: change.reaction };
  }
}
