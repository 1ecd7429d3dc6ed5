import { EmailAdapter, emailSignature, EMAIL_PROVIDER } from '../../src/channels/email/email.adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { customerEmail, FakeSmtp, TINY_PNG } from '../helpers/fake-smtp';
import { adapterContract, type SignedWebhook } from './adapter-contract';

const INBOUND_SECRET = 'inbound-secret';
const CUSTOMER = 'jane@customer.example';
const INBOX_ADDRESS = 'support@shop.example';

/** A raw MIME webhook signed as an inbound-mail relay configured with our secret would sign it. */
function signed(raw: Buffer): SignedWebhook {
  return { body: raw, headers: { 'content-type': 'message/rfc822', 'x-switchboard-signature': emailSignature(INBOUND_SECRET, raw) } };
}

adapterContract({
  provider: EMAIL_PROVIDER,
  async setup() {
    const smtp = new FakeSmtp();
    await smtp.start();
    const adapter = new EmailAdapter({
      id: 'inbox_email_contract',
      tenantId: 'tenant_contract',
      channel: ChannelKind.EMAIL,
      provider: EMAIL_PROVIDER,
      senderAddress: INBOX_ADDRESS,
      providerConfig: {
        smtpHost: '127.0.0.1',
        smtpPort: smtp.port,
        smtpSecure: 'none',
        smtpUser: smtp.user,
        smtpPassword: smtp.pass,
        inboundSecret: INBOUND_SECRET,
      },
    });
    return {
      adapter,
      customer: CUSTOMER,
      nextSend: (outcome) => smtp.nextSend(outcome),
      sendRequests: () => smtp.mails.map((m) => ({ to: m.to[0] ?? '', text: m.parsed.text?.trim() ?? null })),
      webhooks: {
        inboundText: (text) => signed(customerEmail({ from: CUSTOMER, to: INBOX_ADDRESS, subject: 'Order question', text })),
        inboundMedia: () =>
          signed(
            customerEmail({
              from: CUSTOMER,
              to: INBOX_ADDRESS,
              subject: 'Photo of the damage',
              text: '',
              attachment: { filename: 'damage.png', mimeType: 'image/png', data: TINY_PNG },
            }),
          ),
      },
      mediaBytes: TINY_PNG,
      close: () => smtp.close(),
    };
  },
});
