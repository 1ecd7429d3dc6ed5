import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
import { ContactIdentity } from './contact-identity.entity';
import { Contact } from './contact.entity';

@Resolver(() => Contact)
export class ContactResolver {
  // Customer addresses: a message:create token reaches contacts through sendMessage's payload.
  @Authorized(Scope.CONVERSATION_READ)
  @FieldResolver(() => [ContactIdentity], { description: 'How the contact is reached, per channel.' })
  identities(@Root() contact: Contact, @Ctx() ctx: AppContext): Promise<ContactIdentity[]> {
    return auth(ctx).loaders.identitiesByContact.load(contact.id);
  }
}
