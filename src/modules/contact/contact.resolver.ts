import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { auth, type AppContext } from '../../graphql/context';
import { ContactIdentity } from './contact-identity.entity';
import { Contact } from './contact.entity';

@Resolver(() => Contact)
export class ContactResolver {
  @FieldResolver(() => [ContactIdentity], { description: 'How the contact is reached, per channel.' })
  identities(@Root() contact: Contact, @Ctx() ctx: AppContext): Promise<ContactIdentity[]> {
    return auth(ctx).loaders.identitiesByContact.load(contact.id);
  }
}
