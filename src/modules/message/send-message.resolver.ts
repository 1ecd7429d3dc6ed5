import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Scope } from '../auth/scopes';
import { SendMessageInput } from './message.inputs';
import { sendMessage } from './message.service';
import { SendMessagePayload } from './send-message.types';

@Resolver()
export class SendMessageResolver {
  @RequireScopes(Scope.MESSAGE_CREATE)
  @Mutation(() => SendMessagePayload, {
    description:
      'Sends a message to a conversation, a contact or a raw channel address (first-message sends), or stores an internal note. Accepted messages are PENDING; follow delivery with the message status. Errors: BAD_USER_INPUT, NOT_FOUND, UNSUPPORTED_CONTENT, WINDOW_CLOSED, OPTED_OUT, IDEMPOTENCY_CONFLICT.',
  })
  async sendMessage(
    @Ctx() ctx: AppContext,
    @Arg('input', () => SendMessageInput, { description: 'Recipient, content and retry options.' }) input: SendMessageInput,
  ): Promise<SendMessagePayload> {
    const { viewer } = auth(ctx);
    const { message, conversation } = await sendMessage(ctx.deps, ctx.em, viewer, input);
    return { message, conversation };
  }
}
