import { TwilioAdapter, TWILIO_PROVIDER } from '../../src/channels/twilio/twilio.adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { FakeTwilio, TWILIO_PNG } from '../helpers/fake-twilio';
import { adapterContract } from './adapter-contract';

const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const AUTH_TOKEN = 'twilio-contract-auth-token';
const SENDER = '+14155550123';
const WEBHOOK_URL = 'https://switchboard.example.com/webhooks/inb_contract';

/**
 * The shared adapter contract against a fake Twilio: sends are form-encoded with Basic auth,
 * webhooks are signed over the URL Twilio called (status callbacks carry our message id in the
 * query, which the router passes on) plus the sorted form parameters. SMS has no reactions.
 */
adapterContract({
  provider: TWILIO_PROVIDER,
  async setup() {
    const fake = await new FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start();
    const adapter = new TwilioAdapter(
      {
        id: 'inb_contract',
        tenantId: 'tn_contract',
        channel: ChannelKind.SMS,
        provider: TWILIO_PROVIDER,
        senderAddress: SENDER,
        providerConfig: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, baseUrl: fake.url },
      },
      { fetch, webhookUrl: WEBHOOK_URL },
    );
    const customer = '+14155550999';
    return {
      adapter,
      customer,
      nextSend: (outcome) => fake.nextSend(outcome),
      sendRequests: () => fake.sends.map((s) => ({ to: s.form.To, text: s.form.Body ?? null })),
      webhooks: {
        inboundText: (text) => fake.webhook(WEBHOOK_URL, fake.inboundParams(customer, SENDER, text), true),
        inboundMedia: () => {
          const params = fake.inboundParams(customer, SENDER, '', []);
          const withMedia = {
            ...params,
            NumMedia: '1',
            MediaUrl0: fake.mediaUrl(params.MessageSid.replace(/^SM/, 'MM')),
            MediaContentType0: 'image/png',
          };
          return fake.webhook(WEBHOOK_URL, withMedia, true);
        },
        status: (sid, status) => {
          const sent = fake.sends.find((s) => s.sid === sid);
          return fake.webhook(sent?.form.StatusCallback ?? WEBHOOK_URL, fake.statusParams(sid, status), true);
        },
      },
      mediaBytes: TWILIO_PNG,
      close: () => fake.close(),
    };
  },
});
