import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
import { loadMessage } from '../message/message.resolver';
import { retryMessage } from './retry-message.service';
import { RetryMessagePayload } from './retry-message.types';

@Resolver()
export class RetryMessageResolver {
  @RequireScopes(Scope.MESSAGE_CREATE)
  @Mutation(() => RetryMessagePayload, {
    description:
      'Sends a FAILED outbound message again: it becomes PENDING (its failure is cleared; statusHistory keeps the FAILED step) and is delivered like a new send, with a fresh retry budget. Errors: NOT_FOUND (message), BAD_USER_INPUT naming messageId (not an outbound message, not FAILED, or failed after the provider accepted it).',
  })
  async retryMessage(
    @Ctx() ctx: AppContext,
    @Arg('messageId', () => ID, { description: 'The FAILED outbound message to send again.' }) messageId: string,
  ): Promise<RetryMessagePayload> {
    const { viewer, loaders } = auth(ctx);
    const message = await loadMessage(ctx, 'messageId', messageId);
    const result = await retryMessage(ctx.deps, ctx.em, viewer, message);
    // Loaders cache per request: the rest of this request must see the message as retried.
    loaders.message.clear(message.id).prime(message.id, result.message);
    return { message: result.message };
  }
}
