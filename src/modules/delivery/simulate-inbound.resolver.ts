import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { SandboxAdapter } from '../../channels/sandbox/sandbox.adapter';
import { auth, type AppContext } from '../../graphql/context';
import { Errors } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { Scope } from '../auth/scopes';
import { fitsTextLimit, channelRules } from '../channel/channel-rules';
import { ADDRESS_FORMAT } from '../contact/contact-address';
import { Conversation } from '../conversation/conversation.entity';
import { Message } from '../message/message.entity';
import { inboundAddress } from './inbound.service';
import { SimulateInboundPayload } from './simulate-inbound.types';

const MAX_NAME_LENGTH = 200;

@Resolver()
export class SimulateInboundResolver {
  @Authorized(Scope.MESSAGE_CREATE)
  @Mutation(() => SimulateInboundPayload, {
    description:
      'Plays the customer on a sandbox inbox: the sandbox provider sends a signed webhook to this server, which ingests it like any provider message (contact, conversation, window, events). Errors: NOT_FOUND (inbox), BAD_USER_INPUT (not a sandbox inbox, bad address or text).',
  })
  async simulateInboundMessage(
    @Ctx() ctx: AppContext,
    @Arg('inboxId', () => ID) inboxId: string,
    @Arg('from', { description: "The customer's address on the inbox's channel (an international phone number for WhatsApp and SMS)." })
    from: string,
    @Arg('text') text: string,
    @Arg('name', () => String, { nullable: true, description: 'The display name the customer has on the channel.' }) name: string | null,
  ): Promise<SimulateInboundPayload> {
    const { loaders } = auth(ctx);
    const inbox = await loaders.inbox.load(parseId('inboxId', inboxId, 'inbox'));
    if (!inbox) throw Errors.notFound('Inbox', inboxId);
    const adapter = ctx.deps.channels.has(inbox.provider) ? ctx.deps.channels.forInbox(inbox) : null;
    if (!(adapter instanceof SandboxAdapter)) {
      throw Errors.field('inboxId', `is carried by the ${inbox.provider} provider; only sandbox inboxes can simulate customers.`);
    }
    const address = inboundAddress(inbox, from);
    const violations = [];
    if (!address) violations.push({ field: 'from', message: `must be ${ADDRESS_FORMAT[inbox.channel]}.` });
    const body = text.trim();
    if (body === '') violations.push({ field: 'text', message: 'must not be empty.' });
    else if (!fitsTextLimit(inbox.channel, body)) {
      violations.push({ field: 'text', message: `must fit the channel's limit of ${channelRules(inbox.channel).maxTextLength}.` });
    }
    const displayName = name?.trim() || null;
    if (displayName && displayName.length > MAX_NAME_LENGTH)
      violations.push({ field: 'name', message: `must be at most ${MAX_NAME_LENGTH} characters.` });
    if (violations.length) throw Errors.badInput(violations);

    const delivered = await adapter.simulateInbound({ from: address!, text: body, name: displayName });
    if (delivered.status !== 200) throw new Error(`The sandbox webhook was answered with HTTP ${delivered.status}.`);
    const message = await ctx.em.findOneOrFail(Message, { inboxId: inbox.id, channelMessageId: delivered.channelMessageId });
    const conversation = await ctx.em.findOneOrFail(Conversation, { id: message.conversationId, tenantId: inbox.tenantId });
    return { message, conversation };
  }
}
