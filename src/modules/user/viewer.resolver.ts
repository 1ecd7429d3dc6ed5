import { Ctx, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
import { Tenant } from '../tenant/tenant.entity';
import { User } from './user.entity';

@ObjectType('Viewer', { description: 'Who you are, in which workspace, with which scopes.' })
export class ViewerType {
  @Field(() => ID, { description: 'Your user id.' })
  id!: string;

  @Field(() => User, { description: 'Your user (the owner of the token).' })
  user!: User;

  @Field(() => Tenant, { description: 'Your workspace; every id you see belongs to it.' })
  tenant!: Tenant;

  @Field(() => [Scope], { description: "Your token's scopes." })
  scopes!: Scope[];
}

@Resolver()
export class ViewerResolver {
  @Query(() => ViewerType, { description: 'The authenticated user, their workspace and scopes.' })
  async viewer(@Ctx() ctx: AppContext): Promise<ViewerType> {
    const { viewer } = auth(ctx);
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: viewer.tenantId });
    return { id: viewer.userId, user: viewer.user, tenant, scopes: [...viewer.scopes] };
  }
}
