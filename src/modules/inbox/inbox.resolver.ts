import type { FilterQuery } from '@mikro-orm/core';
import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { Connection, ConnectionArgs, pageRequest, toConnection } from '../../graphql/connection';
import { auth, type AppContext } from '../../graphql/context';
import { cursorFor, keysetPage, type KeysetOrder } from '../../graphql/keyset';
import { Scope } from '../auth/scopes';
import { User } from '../user/user.entity';
import { Inbox } from './inbox.entity';

export const InboxConnection = Connection('Inbox', Inbox);

const INBOX_ORDER: KeysetOrder<Inbox> = { scope: 'inboxes', keys: [{ field: 'id', kind: 'string' }], direction: 'asc' };

@Resolver(() => Inbox)
export class InboxResolver {
  @RequireScopes(Scope.CONVERSATION_LIST)
  @Query(() => InboxConnection, { description: 'Inboxes you can see (agents: the ones they are a member of).' })
  async inboxes(@Ctx() ctx: AppContext, @Args() paging: ConnectionArgs) {
    const { viewer } = auth(ctx);
    const req = pageRequest(paging, { defaultSize: 50, maxSize: ctx.deps.config.limits.maxPageSize });
    const visible = viewer.visibleInboxIds();
    const where: FilterQuery<Inbox> = visible ? { tenantId: viewer.tenantId, id: { $in: visible } } : { tenantId: viewer.tenantId };
    const page = await keysetPage(ctx.em, Inbox, where, INBOX_ORDER, req);
    return toConnection(page, (i) => cursorFor(INBOX_ORDER, i));
  }

  @FieldResolver(() => [User], { description: 'Teammates who work this inbox.' })
  async members(@Root() inbox: Inbox, @Ctx() ctx: AppContext): Promise<User[]> {
    const { loaders } = auth(ctx);
    const memberships = await loaders.membersByInbox.load(inbox.id);
    const users = await loaders.user.loadMany(memberships.map((m) => m.userId));
    return users.filter((u): u is User => u instanceof User);
  }
}
