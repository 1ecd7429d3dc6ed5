import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { WhatsAppCloudAdapter, WHATSAPP_CLOUD_PROVIDER } from '../../src/channels/whatsapp-cloud/whatsapp-cloud.adapter';
import { FakeGraph, TINY_PNG, type GraphError } from '../helpers/fake-graph';
import { adapterContract, type ContractSendOutcome } from './adapter-contract';

const CUSTOMER = '4915112340000';

/** Meta's answers for the contract's outcomes (Cloud API error codes). */
const OUTCOMES: Readonly<Record<Exclude<ContractSendOutcome, 'ok'>, GraphError>> = {
  temporary: { status: 503, code: 2, message: 'Service temporarily unavailable' },
  rejected: { status: 400, code: 131026, message: 'Message undeliverable' },
  rate_limited: { status: 429, code: 130429, message: 'Rate limit hit' },
};

adapterContract({
  provider: WHATSAPP_CLOUD_PROVIDER,
  async setup() {
    const graph = await new FakeGraph({
      phoneNumberId: '106540352242922',
      accessToken: 'EAAG-contract-token',
      appSecret: 'contract-app-secret',
      businessAccountId: '102290129340398',
    }).start();
    const adapter = new WhatsAppCloudAdapter({
      id: 'inb_contract',
      tenantId: 'ten_contract',
      channel: ChannelKind.WHATSAPP,
      provider: WHATSAPP_CLOUD_PROVIDER,
      senderAddress: '+14155550111',
      providerConfig: { ...graph.opts, baseUrl: graph.url },
    });
    let seq = 0;
    const id = () => `wamid.CONTRACT${++seq}`;
    return {
      adapter,
      customer: `+${CUSTOMER}`,
      nextSend(outcome) {
        if (outcome !== 'ok') graph.failNext(OUTCOMES[outcome]);
      },
      sendRequests: () =>
        graph.messages.map((m) => ({
          to: String(m.body.to),
          text: (m.body.text as { body?: string } | undefined)?.body ?? null,
        })),
      webhooks: {
        inboundText: (text) => graph.customerMessage(CUSTOMER, { id: `wamid.TEXT.${text}`, type: 'text', text: { body: text } }),
        inboundMedia: () => {
          graph.serve('1037543291543636', TINY_PNG, 'image/png');
          return graph.customerMessage(CUSTOMER, {
            id: id(),
            type: 'image',
            image: { id: '1037543291543636', mime_type: 'image/png', sha256: 'x', caption: 'my receipt' },
          });
        },
        reaction: (channelMessageId, emoji) =>
          graph.customerMessage(CUSTOMER, { id: id(), type: 'reaction', reaction: { message_id: channelMessageId, emoji } }),
        status: (channelMessageId, status) =>
          graph.webhook({
            statuses: [{ id: channelMessageId, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: CUSTOMER }],
          }),
      },
      mediaBytes: TINY_PNG,
      close: () => graph.close(),
    };
  },
});
