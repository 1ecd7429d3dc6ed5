import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { auth, type AppContext } from '../../graphql/context';
import type { Loaders } from '../../graphql/loaders';
import { Errors } from '../../lib/errors';
import { idKind, type IdKind } from '../../lib/ids';
import { Scope } from '../auth/scopes';
import type { Viewer } from '../auth/viewer';
import { Tenant } from '../tenant/tenant.entity';
import { Node } from './node.interface';

type NodeLoader = (loaders: Loaders, id: string, viewer: Viewer, ctx: AppContext) => Promise<Node | null>;

/**
 * How each id kind is refetched, with the scope reading it needs. Kinds that are not exposed as
 * nodes map to null; the table is exhaustive so a new id kind must decide.
 */
const NODE_LOADERS: Record<IdKind, { scope: Scope | null; load: NodeLoader } | null> = {
  tenant: {
    scope: null,
    load: (_l, id, viewer, ctx) => (id === viewer.tenantId ? ctx.em.findOne(Tenant, { id }) : Promise.resolve(null)),
  },
  user: { scope: null, load: (l, id) => l.user.load(id) },
  inbox: { scope: Scope.CONVERSATION_LIST, load: (l, id) => l.inbox.load(id) },
  contact: { scope: Scope.CONVERSATION_READ, load: (l, id) => l.contact.load(id) },
  conversation: { scope: Scope.CONVERSATION_READ, load: (l, id) => l.conversation.load(id) },
  message: { scope: Scope.CONVERSATION_READ, load: (l, id) => l.message.load(id) },
  token: null,
  identity: null,
  session: null,
  media: { scope: Scope.CONVERSATION_READ, load: (l, id) => l.media.load(id) },
  reaction: {
    scope: Scope.CONVERSATION_READ,
    load: async (l, id) => {
      const reaction = await l.reaction.load(id);
      // A reaction is visible exactly when its message is.
      return reaction && (await l.message.load(reaction.messageId)) ? reaction : null;
    },
  },
  readMarker: null,
  event: null,
  outbox: null,
  webhook: null,
};

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Refetches any object by id; null when it does not exist or you cannot see it.' })
  async node(
    @Ctx() ctx: AppContext,
    @Arg('id', () => ID, { description: 'Any object id (`cnv_…`, `msg_…`, `con_…`…).' }) id: string,
  ): Promise<Node | null> {
    const { viewer, loaders } = auth(ctx);
    const kind = idKind(id);
    if (!kind) throw Errors.field('id', 'is not a valid id.');
    const entry = NODE_LOADERS[kind];
    if (!entry) return null;
    if (entry.scope) viewer.requireScopes(entry.scope);
    return entry.load(loaders, id, viewer, ctx);
  }

  // One round trip for a client refreshing a screenful of cached objects; loads go through the
  // per-kind DataLoaders, so the SQL is one batch per kind, not one statement per id.
  @Query(() => [Node], {
    nullable: 'items',
    description:
      'Refetches many objects by id, in the order given: an entry is null when that object does not exist or you cannot see it. At most as many ids as a page (100); a malformed id is BAD_USER_INPUT naming it.',
  })
  async nodes(
    @Ctx() ctx: AppContext,
    @Arg('ids', () => [ID], { description: 'Object ids of any kind, as `node(id:)` takes them.' }) ids: string[],
  ): Promise<(Node | null)[]> {
    const { viewer, loaders } = auth(ctx);
    const max = ctx.deps.config.limits.maxPageSize;
    if (ids.length > max) throw Errors.field('ids', `at most ${max} ids per request.`);
    const entries = ids.map((id, i) => {
      const kind = idKind(id);
      if (!kind) throw Errors.field(`ids[${i}]`, 'is not a valid id.');
      return NODE_LOADERS[kind];
    });
    const scopes = [...new Set(entries.flatMap((e) => (e?.scope ? [e.scope] : [])))];
    if (scopes.length) viewer.requireScopes(...scopes);
    return Promise.all(ids.map((id, i) => entries[i]?.load(loaders, id, viewer, ctx) ?? null));
  }
}
