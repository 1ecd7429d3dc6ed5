import { Arg, Ctx, FieldResolver, Float, ID, Mutation, Resolver, Root } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { Scope } from '../auth/scopes';
import { User } from '../user/user.entity';
import { requireInboxManager } from './inbox-access';
import {
  ConnectionTestStatusKind,
  InboxConnectionTestType,
  InboxMemberPayload,
  InboxPayload,
  InboxSecretStatusType,
} from './inbox-admin.types';
import { parseCreateInbox, parseUpdateInbox } from './inbox.commands';
import { Inbox } from './inbox.entity';
import { CreateInboxInput, UpdateInboxInput } from './inbox.inputs';
import {
  addInboxMember,
  archiveInbox,
  createInbox,
  removeInboxMember,
  secretStatuses,
  testInboxConnection,
  updateInbox,
  type InboxActor,
  type InboxChangeResult,
  type InboxServiceDeps,
} from './inbox.service';
import { specOfProvider } from './provider-settings';

/** The service's collaborators, from the server's. */
function serviceDeps(ctx: AppContext): InboxServiceDeps {
  const keyring = ctx.deps.channels.deps.secrets;
  if (!keyring) throw new Error('The adapter registry has no secrets keyring.');
  return { pubsub: ctx.deps.pubsub, keyring, channels: ctx.deps.channels };
}

/** The viewer as an inbox manager (scope and role checked), with the actor their changes are recorded under. */
function manager(ctx: AppContext): InboxActor {
  const { viewer } = auth(ctx);
  requireInboxManager(viewer);
  return { tenantId: viewer.tenantId, type: viewer.senderType, id: viewer.userId };
}

/** A visible inbox by id, or NOT_FOUND. */
async function visibleInbox(ctx: AppContext, field: string, id: string): Promise<Inbox> {
  const inbox = await auth(ctx).loaders.inbox.load(parseId(field, id, 'inbox'));
  if (!inbox) throw Errors.notFound('Inbox', id);
  return inbox;
}

/** Makes the rest of the request read what the change committed. */
function settle(ctx: AppContext, result: InboxChangeResult): Inbox {
  const { loaders } = auth(ctx);
  loaders.inbox.clear(result.inbox.id).prime(result.inbox.id, result.inbox);
  loaders.membersByInbox.clear(result.inbox.id);
  return result.inbox;
}

/** The provider registration a change did, in GraphQL shape. */
function connectionOf(result: InboxChangeResult): InboxConnectionTestType | null {
  const c = result.connection;
  return c ? { status: c.status as ConnectionTestStatusKind, message: c.message, testedAt: new Date() } : null;
}

/** Inbox management (owners and admins with `inbox:manage`). Rules live in inbox.service.ts. */
@Resolver(() => Inbox)
export class InboxAdminResolver {
  @RequireScopes(Scope.INBOX_MANAGE)
  @Mutation(() => InboxPayload, {
    description:
      'Connects a new inbox: a channel, a sender address and provider settings (exactly one member of `settings`). Secrets are stored encrypted and never returned. Owners and admins only. Bad settings are BAD_USER_INPUT naming each field, and nothing is written.',
  })
  async createInbox(
    @Ctx() ctx: AppContext,
    @Arg('input', () => CreateInboxInput, { description: 'The inbox to create.' }) input: CreateInboxInput,
  ): Promise<InboxPayload> {
    const actor = manager(ctx);
    const command = parseCreateInbox('input', input);
    const result = await createInbox(ctx.em, serviceDeps(ctx), actor, command);
    return { inbox: settle(ctx, result), connection: connectionOf(result) };
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @Mutation(() => InboxPayload, {
    description:
      'Changes an inbox: fields left out stay. New `settings` replace the non-secret settings; secrets left out are kept. An archived inbox cannot be changed (INBOX_ARCHIVED).',
  })
  async updateInbox(
    @Ctx() ctx: AppContext,
    @Arg('input', () => UpdateInboxInput, { description: 'The changes.' }) input: UpdateInboxInput,
  ): Promise<InboxPayload> {
    const actor = manager(ctx);
    const command = parseUpdateInbox('input', input);
    await visibleInbox(ctx, 'input.inboxId', command.inboxId);
    const result = await updateInbox(ctx.em, serviceDeps(ctx), actor, command);
    return { inbox: settle(ctx, result), connection: connectionOf(result) };
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @Mutation(() => InboxPayload, {
    description:
      'Archives an inbox: nothing new is sent from it (sendMessage is refused with INBOX_ARCHIVED; messages still pending fail with `inbox_archived`). Its history stays readable, and customer messages still arrive. Archiving again changes nothing.',
  })
  async archiveInbox(
    @Ctx() ctx: AppContext,
    @Arg('inboxId', () => ID, { description: 'The inbox to archive.' }) inboxId: string,
  ): Promise<InboxPayload> {
    const actor = manager(ctx);
    const inbox = await visibleInbox(ctx, 'inboxId', inboxId);
    return { inbox: settle(ctx, await archiveInbox(ctx.em, serviceDeps(ctx), actor, inbox.id)) };
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @Mutation(() => InboxMemberPayload, {
    description:
      "Makes a teammate a member: an agent then sees the inbox's conversations (open subscriptions included). Adding a member again changes nothing.",
  })
  async addInboxMember(
    @Ctx() ctx: AppContext,
    @Arg('inboxId', () => ID, { description: 'The inbox.' }) inboxId: string,
    @Arg('userId', () => ID, { description: 'The teammate to add.' }) userId: string,
  ): Promise<InboxMemberPayload> {
    return this.membership(ctx, inboxId, userId, addInboxMember);
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @Mutation(() => InboxMemberPayload, {
    description:
      'Removes a teammate from an inbox: an agent stops seeing its conversations at once, on open subscriptions too. Removing a non-member changes nothing.',
  })
  async removeInboxMember(
    @Ctx() ctx: AppContext,
    @Arg('inboxId', () => ID, { description: 'The inbox.' }) inboxId: string,
    @Arg('userId', () => ID, { description: 'The teammate to remove.' }) userId: string,
  ): Promise<InboxMemberPayload> {
    return this.membership(ctx, inboxId, userId, removeInboxMember);
  }

  private async membership(ctx: AppContext, inboxId: string, userId: string, change: typeof addInboxMember): Promise<InboxMemberPayload> {
    const actor = manager(ctx);
    const inbox = await visibleInbox(ctx, 'inboxId', inboxId);
    const id = parseId('userId', userId, 'user');
    const result = await change(ctx.em, serviceDeps(ctx), actor, inbox.id, id);
    const user = await auth(ctx).loaders.user.load(id);
    if (!(user instanceof User)) throw Errors.notFound('User', userId);
    return { inbox: settle(ctx, result), user };
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @Mutation(() => InboxConnectionTestType, {
    description:
      "Calls the inbox's provider once with its stored credentials (nothing is sent to anyone) and says whether they work: OK, BAD_CREDENTIALS, NOT_FOUND or UNREACHABLE, with the provider's message.",
  })
  async testInboxConnection(
    @Ctx() ctx: AppContext,
    @Arg('inboxId', () => ID, { description: 'The inbox to test.' }) inboxId: string,
  ): Promise<InboxConnectionTestType> {
    manager(ctx);
    const inbox = await visibleInbox(ctx, 'inboxId', inboxId);
    const result = await testInboxConnection(ctx.deps.channels, inbox);
    return { status: result.status as ConnectionTestStatusKind, message: result.message, testedAt: new Date() };
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @FieldResolver(() => Float, {
    nullable: true,
    description: "Owners and admins: the inbox's own sends-per-second limit (below its provider's), or null for the provider's.",
  })
  sendsPerSecond(@Root() inbox: Inbox, @Ctx() ctx: AppContext): number | null {
    manager(ctx);
    return inbox.sendsPerSecond;
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @FieldResolver(() => String, {
    nullable: true,
    description: "Owners and admins: the URL to paste into the provider's console for its webhooks (`<PUBLIC_URL>/webhooks/<inbox id>`).",
  })
  webhookUrl(@Root() inbox: Inbox, @Ctx() ctx: AppContext): string {
    manager(ctx);
    return ctx.deps.channels.deps.webhookUrl(inbox.id);
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @FieldResolver(() => [String], {
    nullable: true,
    description: 'Owners and admins: how to connect this inbox to its provider, step by step.',
  })
  setupSteps(@Root() inbox: Inbox, @Ctx() ctx: AppContext): string[] {
    manager(ctx);
    const spec = specOfProvider(inbox.provider);
    return spec ? spec.setupSteps({ webhookUrl: ctx.deps.channels.deps.webhookUrl(inbox.id), config: inbox.providerConfig }) : [];
  }

  @RequireScopes(Scope.INBOX_MANAGE)
  @FieldResolver(() => [InboxSecretStatusType], {
    nullable: true,
    description: "Owners and admins: the provider's secrets, each as configured or not with a hint; never their values.",
  })
  secrets(@Root() inbox: Inbox, @Ctx() ctx: AppContext): InboxSecretStatusType[] {
    manager(ctx);
    return secretStatuses(inbox);
  }
}
