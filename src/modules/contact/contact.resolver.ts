import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
import { ChannelKind } from '../channel/channel-kind';
import { ContactIdentity } from './contact-identity.entity';
import { Contact } from './contact.entity';

@Resolver(() => Contact)
export class ContactResolver {
  // Customer addresses: a message:create token reaches contacts through sendMessage's payload.
  @RequireScopes(Scope.CONVERSATION_READ)
  @FieldResolver(() => [ContactIdentity], {
    nullable: true,
    description: 'How the contact is reached, per channel. Null (with FORBIDDEN) without conversation:read.',
  })
  identities(@Root() contact: Contact, @Ctx() ctx: AppContext): Promise<ContactIdentity[]> {
    return auth(ctx).loaders.identitiesByContact.load(contact.id);
  }

  // Whoever may write to the contact needs to know where they must not (a message:create token too).
  @FieldResolver(() => [ChannelKind], {
    description:
      'Channels the customer opted out of (replied STOP, or the provider reported them unsubscribed): sendMessage there fails with OPTED_OUT until they reply START.',
  })
  async optedOutChannels(@Root() contact: Contact, @Ctx() ctx: AppContext): Promise<ChannelKind[]> {
    const identities = await auth(ctx).loaders.identitiesByContact.load(contact.id);
    return [...new Set(identities.filter((i) => i.optedOutAt).map((i) => i.channel))];
  }
}
