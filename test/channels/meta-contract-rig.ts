import type { AdapterInbox } from '../../src/channels/channel-adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import type { ContractRig } from './adapter-contract';
import { FakeMetaMessaging, TINY_PNG } from '../helpers/fake-meta-messaging';
import { messengerAdapter } from '../../src/channels/messenger/messenger.adapter';
import { instagramAdapter } from '../../src/channels/instagram/instagram.adapter';

const APP_SECRET = 'contract-app-secret';
const TOKEN = 'EAAB-contract-token';

/** A Messenger or Instagram adapter for a fresh inbox, pointed at a fresh fake Graph server. */
export async function metaContractRig(kind: 'messenger' | 'instagram'): Promise<ContractRig> {
  const messenger = kind === 'messenger';
  const accountId = messenger ? '104512345678901' : '17841400000000001';
  const fake = await new FakeMetaMessaging({
    object: messenger ? 'page' : 'instagram',
    accountId,
    accessToken: TOKEN,
    appSecret: APP_SECRET,
  }).start();
  const inbox: AdapterInbox = {
    id: 'inbox_contract',
    tenantId: 'tenant_contract',
    channel: messenger ? ChannelKind.MESSENGER : ChannelKind.INSTAGRAM,
    provider: kind,
    senderAddress: accountId,
    providerConfig: messenger
      ? { pageId: accountId, pageAccessToken: TOKEN, appSecret: APP_SECRET, baseUrl: fake.url }
      : { accountId, accessToken: TOKEN, appSecret: APP_SECRET, baseUrl: fake.url },
  };
  const deps = { fetch };
  const customer = messenger ? '6612345678901234' : '987654321012345';
  return {
    adapter: messenger ? messengerAdapter(inbox, deps) : instagramAdapter(inbox, deps),
    customer,
    nextSend: (outcome) => fake.nextSend(outcome),
    sendRequests: () =>
      fake.sends().map((b) => ({
        to: String((b.recipient as { id?: string } | undefined)?.id ?? ''),
        text: ((b.message as { text?: string } | undefined)?.text ?? null) as string | null,
      })),
    webhooks: {
      inboundText: (text) => fake.inboundText(customer, text),
      inboundMedia: () => fake.inboundImage(customer),
      reaction: (mid, emoji) => fake.reaction(customer, mid, emoji),
      // Instagram reports no deliveries (only reads by mid), so its rig has no status member.
      ...(messenger
        ? {
            status: (mid: string, status: 'delivered' | 'read') =>
              status === 'delivered' ? fake.delivery(customer, Date.now(), [mid]) : fake.read(customer, Date.now()),
          }
        : {}),
    },
    mediaBytes: TINY_PNG,
    close: () => fake.close(),
  };
}
