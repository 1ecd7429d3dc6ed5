import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { RequireScopes } from '../../graphql/authorization';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { Scope } from '../auth/scopes';
import { simulateInbound } from './simulate-inbound.service';
import { SimulateInboundPayload } from './simulate-inbound.types';

@Resolver()
export class SimulateInboundResolver {
  @RequireScopes(Scope.MESSAGE_CREATE)
  @Mutation(() => SimulateInboundPayload, {
    description:
      'Plays the customer on a sandbox inbox: the sandbox provider sends a signed webhook to this server, which ingests it like any provider message (contact, conversation, window, events). Errors: NOT_FOUND (inbox), BAD_USER_INPUT (not a sandbox inbox, bad address or text).',
  })
  async simulateInboundMessage(
    @Ctx() ctx: AppContext,
    @Arg('inboxId', () => ID, { description: 'A sandbox inbox (provider `sandbox`) to receive the message.' }) inboxId: string,
    @Arg('from', { description: "The customer's address on the inbox's channel (an international phone number for WhatsApp and SMS)." })
    from: string,
    @Arg('text', { description: 'What the customer writes.' }) text: string,
    @Arg('name', () => String, { nullable: true, description: 'The display name the customer has on the channel.' }) name: string | null,
  ): Promise<SimulateInboundPayload> {
    const { loaders } = auth(ctx);
    const inbox = await loaders.inbox.load(parseId('inboxId', inboxId, 'inbox'));
    if (!inbox) throw Errors.notFound('Inbox', inboxId);
    return simulateInbound(ctx.em, ctx.deps.channels, inbox, { from, text, name });
  }
}
