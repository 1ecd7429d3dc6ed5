import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { InboxUpdatedEvent } from '../event/event.types';
import { User } from '../user/user.entity';
import { Inbox } from './inbox.entity';

/** The entities an InboxUpdatedEvent points at, loaded for the event's viewer. */
@Resolver(() => InboxUpdatedEvent)
export class InboxUpdatedEventResolver {
  @FieldResolver(() => Inbox, { description: 'The inbox as it is now.' })
  async inbox(@Root() e: InboxUpdatedEvent, @Ctx() ctx: AppContext): Promise<Inbox> {
    const inbox = e.inboxId ? await auth(ctx).loaders.inbox.load(e.inboxId) : null;
    if (!inbox) throw Errors.notFound('Inbox', e.inboxId ?? '(none)');
    return inbox;
  }

  @FieldResolver(() => User, { nullable: true, description: 'For MEMBER_ADDED and MEMBER_REMOVED: the teammate; null otherwise.' })
  async member(@Root() e: InboxUpdatedEvent, @Ctx() ctx: AppContext): Promise<User | null> {
    if (!e.memberId) return null;
    const user = await auth(ctx).loaders.user.load(e.memberId);
    return user instanceof User ? user : null;
  }
}
