import { Arg, Args, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { Connection, ConnectionArgs, pageRequest, toConnection } from '../../graphql/connection';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { Scope } from '../auth/scopes';
import { Contact } from '../contact/contact.entity';
import { Inbox } from '../inbox/inbox.entity';
import { Message } from '../message/message.entity';
import { User } from '../user/user.entity';
import { windowFor } from '../window/window.service';
import { WindowActorKind, WindowType } from '../window/window.types';
import { unreadFrom } from '../message/inbound-count';
import { Conversation } from './conversation.entity';
import { ConversationFilter, ConversationOrder } from './conversation.inputs';
import { cursorFor } from '../../graphql/keyset';
import { countConversations, listConversations, MESSAGE_ORDER } from './conversation.service';

export const ConversationConnection = Connection('Conversation', Conversation);
export const MessageConnection = Connection('Message', Message);

/** Loads a conversation the viewer may see, or NOT_FOUND (also for other tenants' ids). */
export async function loadConversation(ctx: AppContext, field: string, id: string): Promise<Conversation> {
  const { loaders } = auth(ctx);
  const conversation = await loaders.conversation.load(parseId(field, id, 'conversation'));
  if (!conversation) throw Errors.notFound('Conversation', id);
  return conversation;
}

@Resolver(() => Conversation)
export class ConversationResolver {
  @RequireScopes(Scope.CONVERSATION_LIST)
  @Query(() => ConversationConnection, { description: 'The inbox list: conversations you can see, newest activity first.' })
  async conversations(
    @Ctx() ctx: AppContext,
    @Args() paging: ConnectionArgs,
    @Arg('filter', () => ConversationFilter, {
      nullable: true,
      description: 'Only conversations matching every given field; omit for all you can see.',
    })
    filter: ConversationFilter | null,
    @Arg('orderBy', () => ConversationOrder, { defaultValue: ConversationOrder.LAST_ACTIVITY_DESC, description: 'List order.' })
    orderBy: ConversationOrder,
  ) {
    const { viewer } = auth(ctx);
    const req = pageRequest(paging, { defaultSize: 20, maxSize: ctx.deps.config.limits.maxPageSize });
    const { page, cursorOf } = await listConversations(ctx.em, viewer, filter, orderBy, req, ctx.deps.entityReads);
    // Counted only when `totalCount` is selected: the COUNT is a second statement most lists do not need.
    return Object.assign(toConnection(page, cursorOf), { countTotal: () => countConversations(ctx.em, viewer, filter) });
  }

  // A lookup, as GraphQL convention advises: a stale id nulls this field alone, not the whole response.
  @RequireScopes(Scope.CONVERSATION_READ)
  @Query(() => Conversation, {
    nullable: true,
    description:
      'One conversation; null when it does not exist or you cannot see it (no error). A malformed id is BAD_USER_INPUT naming `id`.',
  })
  async conversation(
    @Ctx() ctx: AppContext,
    @Arg('id', () => ID, { description: 'A conversation id (`cnv_…`).' }) id: string,
  ): Promise<Conversation | null> {
    return (await auth(ctx).loaders.conversation.load(parseId('id', id, 'conversation'))) ?? null;
  }

  @FieldResolver(() => Inbox, { description: 'The inbox (connected sender) the conversation goes through.' })
  inbox(@Root() c: Conversation, @Ctx() ctx: AppContext): Promise<Inbox> {
    // The loader's promise itself, not an async wrapper's: one promise less per row (issue #10).
    return auth(ctx).loaders.inbox.load(c.inboxId) as Promise<Inbox>;
  }

  @FieldResolver(() => Contact, { description: 'The customer.' })
  contact(@Root() c: Conversation, @Ctx() ctx: AppContext): Promise<Contact> {
    return auth(ctx).loaders.contact.load(c.contactId) as Promise<Contact>;
  }

  @FieldResolver(() => User, { nullable: true, description: 'The teammate responsible for the conversation; null when unassigned.' })
  assignee(@Root() c: Conversation, @Ctx() ctx: AppContext): Promise<User | null> | null {
    return c.assigneeId ? auth(ctx).loaders.user.load(c.assigneeId) : null;
  }

  // History, not just what this client wrote: a message:create token reaches conversations through payloads.
  @RequireScopes(Scope.CONVERSATION_READ)
  @FieldResolver(() => Message, { nullable: true, description: 'The newest message, for previews with more than text.' })
  lastMessage(@Root() c: Conversation, @Ctx() ctx: AppContext): Promise<Message | null> | null {
    return c.lastMessageId ? auth(ctx).loaders.messageRead.load(c.lastMessageId) : null;
  }

  // Message text, so it needs what the messages themselves need (the inbox list asks only conversation:list).
  @RequireScopes(Scope.CONVERSATION_READ)
  @FieldResolver(() => String, { nullable: true, description: 'A short plain-text preview of the last message.' })
  lastMessagePreview(@Root() c: Conversation): string | null {
    return c.lastMessagePreview;
  }

  @FieldResolver(() => Int, { description: 'Customer messages newer than your read marker.' })
  unreadCount(@Root() c: Conversation, @Ctx() ctx: AppContext): Promise<number> {
    return auth(ctx)
      .loaders.readInboundCount.load(c.id)
      .then((read) => unreadFrom(c, read));
  }

  @FieldResolver(() => WindowType, { description: 'Whether you (or the given actor) can send free-form content now.' })
  window(
    @Root() c: Conversation,
    @Ctx() ctx: AppContext,
    @Arg('as', () => WindowActorKind, { nullable: true, description: 'Evaluate for this actor instead of yourself.' })
    as: WindowActorKind | null,
  ): Promise<WindowType> {
    const { viewer, loaders } = auth(ctx);
    const actor = as ?? viewer.windowActor;
    return loaders.inbox.load(c.inboxId).then((inbox) => ({ ...windowFor(c, inbox!, actor), actor }));
  }

  // Nullable like every field a scope can refuse: a refusal inside a mutation payload nulls this field, not the payload.
  @RequireScopes(Scope.CONVERSATION_READ)
  @FieldResolver(() => MessageConnection, {
    nullable: true,
    description:
      'Messages oldest-first within a page; ask for `last: n` (and `before`) to page back from the newest. Null (with FORBIDDEN) without conversation:read.',
  })
  async messages(@Root() c: Conversation, @Ctx() ctx: AppContext, @Args() paging: ConnectionArgs) {
    const req = pageRequest(paging, { defaultSize: 20, maxSize: ctx.deps.config.limits.maxPageSize, defaultDirection: 'backward' });
    const page = await auth(ctx).loaders.conversationMessages.load({ conversation: c, ...req });
    return toConnection(page, (m) => cursorFor(MESSAGE_ORDER, m));
  }
}

/** `totalCount` of the inbox list, computed on demand from what `conversations` left on the page. */
@Resolver(() => ConversationConnection)
export class ConversationConnectionResolver {
  @FieldResolver(() => Int, {
    description:
      'How many conversations match the filter over all pages (for "12 open" badges). Costs one COUNT statement, only when selected.',
  })
  totalCount(@Root() connection: { countTotal: () => Promise<number> }): Promise<number> {
    return connection.countTotal();
  }
}
