import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { Actor } from '../actor/actor.interface';
import { Scope } from '../auth/scopes';
import { Contact } from '../contact/contact.entity';
import { Conversation } from '../conversation/conversation.entity';
import { Reaction } from '../reaction/reaction.entity';
import { User } from '../user/user.entity';
import type { StoredContent } from './message-content';
import { MediaContentType, MessageContentUnion } from './message-content.types';
import { mediaUrlFor } from '../media/media-url';
import { Message } from './message.entity';
import { DeliveryFailureType, StatusChangeType } from './message.types';
import { SenderType } from './sender-type';

/** Loads a message the viewer may see, or NOT_FOUND. */
export async function loadMessage(ctx: AppContext, field: string, id: string): Promise<Message> {
  const message = await auth(ctx).loaders.message.load(parseId(field, id, 'message'));
  if (!message) throw Errors.notFound('Message', id);
  return message;
}

@Resolver(() => Message)
export class MessageResolver {
  // A lookup, as GraphQL convention advises: a stale id nulls this field alone, not the whole response.
  @RequireScopes(Scope.CONVERSATION_READ)
  @Query(() => Message, {
    nullable: true,
    description:
      'One message with its delivery state; null when it does not exist or you cannot see it (no error). A malformed id is BAD_USER_INPUT naming `id`.',
  })
  message(@Ctx() ctx: AppContext, @Arg('id', () => ID, { description: 'A message id (`msg_…`).' }) id: string): Promise<Message | null> {
    // A read model: a query never changes the message (mutations use loadMessage's managed one).
    return auth(ctx).loaders.messageRead.load(parseId('id', id, 'message'));
  }

  @FieldResolver(() => Conversation, { description: 'The conversation the message belongs to.' })
  conversation(@Root() m: Message, @Ctx() ctx: AppContext): Promise<Conversation> {
    return auth(ctx).loaders.conversation.load(m.conversationId) as Promise<Conversation>;
  }

  // Message text like every other content field: a message:create token that sent it gets the id and status, not the body.
  @RequireScopes(Scope.CONVERSATION_READ)
  @FieldResolver(() => MessageContentUnion, {
    nullable: true,
    description:
      'The body: select each variant with an inline fragment (`... on TextContent { body }`). Null (with FORBIDDEN) without conversation:read.',
  })
  content(@Root() m: Message): StoredContent {
    return m.content;
  }

  @FieldResolver(() => Actor, { nullable: true, description: 'The teammate or customer who wrote it; null for system messages.' })
  sender(@Root() m: Message, @Ctx() ctx: AppContext): Promise<User | Contact | null> | null {
    const { loaders } = auth(ctx);
    if (m.senderType === SenderType.CUSTOMER) {
      return loaders.conversation
        .load(m.conversationId)
        .then((conversation) => (conversation ? loaders.contact.load(conversation.contactId) : null));
    }
    return m.senderUserId ? loaders.user.load(m.senderUserId) : null;
  }

  @FieldResolver(() => DeliveryFailureType, { nullable: true, description: 'Set when deliveryStatus is FAILED.' })
  failure(@Root() m: Message): DeliveryFailureType | null {
    return m.failureCode ? { code: m.failureCode, reason: m.failureReason ?? m.failureCode } : null;
  }

  @FieldResolver(() => [StatusChangeType], { description: 'Every delivery status the message went through, oldest first.' })
  statusHistory(@Root() m: Message): StatusChangeType[] {
    return m.statusHistory.map((s) => ({
      status: s.status,
      at: new Date(s.at),
      failure: s.failureCode ? { code: s.failureCode, reason: s.failureReason ?? s.failureCode } : null,
    }));
  }

  // Other people's reactions and messages are history: a message:create token reaches messages through payloads.
  // Nullable like every field a scope can refuse: a refusal inside a mutation payload nulls this field, not the payload.
  @RequireScopes(Scope.CONVERSATION_READ)
  @FieldResolver(() => [Reaction], {
    nullable: true,
    description: 'Every reaction on the message. Null (with FORBIDDEN) without conversation:read.',
  })
  reactions(@Root() m: Message, @Ctx() ctx: AppContext): Promise<Reaction[]> {
    return auth(ctx).loaders.reactionsByMessage.load(m.id);
  }

  @RequireScopes(Scope.CONVERSATION_READ)
  @FieldResolver(() => Message, { nullable: true, description: 'The message this one quotes; null when it quotes none.' })
  replyTo(@Root() m: Message, @Ctx() ctx: AppContext): Promise<Message | null> | null {
    return m.replyToId ? auth(ctx).loaders.message.load(m.replyToId) : null;
  }
}

@Resolver(() => Reaction)
export class ReactionResolver {
  @FieldResolver(() => Message, { description: 'The message reacted to.' })
  message(@Root() r: Reaction, @Ctx() ctx: AppContext): Promise<Message> {
    return auth(ctx).loaders.message.load(r.messageId) as Promise<Message>;
  }

  @FieldResolver(() => Actor, { nullable: true, description: 'The teammate or customer who reacted; null when they are gone.' })
  actor(@Root() r: Reaction, @Ctx() ctx: AppContext): Promise<User | Contact | null> {
    const { loaders } = auth(ctx);
    return r.actorType === SenderType.CUSTOMER ? loaders.contact.load(r.actorId) : loaders.user.load(r.actorId);
  }
}

@Resolver(() => MediaContentType)
export class MediaContentResolver {
  // Signed per read, like Media.url: a stored URL would expire in a client's cache and leak if logged.
  @FieldResolver(() => String, {
    nullable: true,
    description:
      'Where the file can be fetched: the https URL it was sent from, or for an upload a fresh signed, expiring URL (path relative to the API origin) that serves the bytes without a token.',
  })
  url(@Root() content: MediaContentType, @Ctx() ctx: AppContext): string | null {
    if (content.url) return content.url;
    if (!content.mediaId) return null;
    const { mediaSigningSecret, mediaUrlTtlSeconds } = ctx.deps.config;
    return mediaUrlFor(mediaSigningSecret, mediaUrlTtlSeconds, content.mediaId);
  }
}
