import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { TemplateListResult } from '../../channels/channel-adapter';
import { auth, type AppContext } from '../../graphql/context';
import { AppError, ErrorCode, Errors } from '../../lib/errors';
import { Inbox } from './inbox.entity';
import { MessageTemplateType } from './inbox-templates.types';

/** How long `Inbox.templates` waits for the provider. */
export const TEMPLATE_LIST_TIMEOUT_MS = 10_000;

/** `Inbox.templates`: the provider's approved templates, through the server's short cache. */
@Resolver(() => Inbox)
export class InboxTemplatesResolver {
  @FieldResolver(() => [MessageTemplateType], {
    nullable: true,
    description:
      "Approved message templates of the inbox's provider account (WhatsApp), with their parameters, for a composer. Empty for providers without templates; null with PROVIDER_UNAVAILABLE (details: `status`) when the provider cannot be asked or refuses.",
  })
  async templates(@Root() inbox: Inbox, @Ctx() ctx: AppContext): Promise<MessageTemplateType[]> {
    const { viewer } = auth(ctx);
    if (!viewer.canSeeInbox(inbox.tenantId, inbox.id)) throw Errors.notFound('Inbox', inbox.id);
    const channels = ctx.deps.channels;
    if (!channels.has(inbox.provider)) return [];
    let adapter;
    try {
      adapter = channels.forInbox(inbox);
    } catch (err) {
      throw unavailable(
        inbox,
        'bad_credentials',
        `The inbox's settings cannot be used: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (!adapter.listTemplates) return [];
    const list = () => adapter.listTemplates!(AbortSignal.timeout(TEMPLATE_LIST_TIMEOUT_MS));
    const result: TemplateListResult = await (channels.deps.templates ? channels.deps.templates.get(inbox, list) : list());
    if (!result.ok) throw unavailable(inbox, result.status, result.message);
    return result.templates.map(({ id, ...t }) => ({ providerId: id, ...t }));
  }
}

function unavailable(inbox: Inbox, status: string, message: string): AppError {
  return new AppError(ErrorCode.PROVIDER_UNAVAILABLE, `The templates of inbox ${inbox.id} could not be listed: ${message}`, { status });
}
