import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
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
}
