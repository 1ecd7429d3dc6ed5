import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emailSignature } from '../src/channels/email/email.adapter';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import type { MediaBody } from '../src/modules/message/message-content';
import { Message } from '../src/modules/message/message.entity';
import { MessageDirection } from '../src/modules/message/sender-type';
import { AdminCreateInboxDocument, DeliverySendTextDocument } from './generated/graphql';
import { testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { customerEmail, FakeSmtp, TINY_PNG } from './helpers/fake-smtp';
import { startTestServer, type TestServer } from './helpers/server';

const INBOUND_SECRET = 'inbound-secret-for-tests';
const INBOX_ADDRESS = 'support@shop.example';
const CUSTOMER = 'jane@customer.example';
const CUSTOMER_MESSAGE_ID = '<CAF=jane.42@mail.customer.example>';

/** What Gmail puts under a reply: the attribution line and the quoted earlier mail. */
const QUOTED_REPLY = [
  'My parcel arrived damaged, photo attached.',
  '',
  'Jane',
  '',
  'On Thu, Dec 3, 2026 at 4:12 PM Shop Support <support@shop.example> wrote:',
  '> Your order has shipped.',
  '> Tracking: 1Z999',
].join('\n');

describe('email inbox end to end (SMTP out, raw MIME in)', () => {
  const smtp = new FakeSmtp(INBOX_ADDRESS, 'smtp-password');
  let s: TestServer;
  let inboxId: string;

  before(async () => {
    await smtp.start();
    s = await startTestServer({ config: { delivery: testDeliveryConfig() } });
    const created = await s.client(s.tokens.admin).data(AdminCreateInboxDocument, {
      input: {
        name: 'Support mail',
        channel: 'EMAIL',
        senderAddress: INBOX_ADDRESS,
        settings: {
          email: {
            smtpHost: '127.0.0.1',
            smtpPort: smtp.port,
            smtpSecure: 'NONE',
            smtpUser: smtp.user,
            smtpPassword: smtp.pass,
            fromName: 'Shop Support',
            inboundSecret: INBOUND_SECRET,
          },
        },
      },
    });
    inboxId = created.createInbox.inbox.id;
    assert.ok(
      (created.createInbox.inbox.secrets ?? []).length === 2 && created.createInbox.inbox.secrets!.every((secret) => secret.configured),
      'both secrets are stored (and only their hints come back)',
    );
  });
  after(async () => {
    await s?.close();
    await smtp.close();
  });

  const postWebhook = (body: Buffer, headers: Record<string, string>) =>
    fetch(`${s.httpUrl}/webhooks/${inboxId}`, { method: 'POST', headers: { 'content-type': 'message/rfc822', ...headers }, body });

  const messagesOfInbox = () => s.db.em.fork().find(Message, { inboxId }, { orderBy: { id: 'asc' } });

  test('a wrong signature is 401 and stores nothing', async () => {
    const raw = customerEmail({ from: CUSTOMER, to: INBOX_ADDRESS, subject: 'Forged', text: 'Send me a refund' });
    const forged = await postWebhook(raw, { 'x-switchboard-signature': emailSignature('not-the-secret', raw) });
    assert.equal(forged.status, 401);
    const wrongPassword = await postWebhook(raw, { authorization: `Basic ${Buffer.from('inbound:guess').toString('base64')}` });
    assert.equal(wrongPassword.status, 401);
    assert.deepEqual(await messagesOfInbox(), []);
  });

  test('a customer email with an attachment and quoted history starts a conversation; the reply threads in their client', async () => {
    const raw = customerEmail({
      from: CUSTOMER,
      fromName: 'Jane Doe',
      to: INBOX_ADDRESS,
      subject: 'Damaged parcel',
      text: QUOTED_REPLY,
      messageId: CUSTOMER_MESSAGE_ID,
      references: ['<order-shipped.1@shop.example>'],
      attachment: { filename: 'damage.png', mimeType: 'image/png', data: TINY_PNG },
    });
    // The inbound-mail service authenticates with the secret as the Basic-auth password (in its URL).
    const res = await postWebhook(raw, { authorization: `Basic ${Buffer.from(`inbound:${INBOUND_SECRET}`).toString('base64')}` });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { received: 2, duplicates: 0 });

    const [text, file] = await messagesOfInbox();
    assert.equal(text.direction, MessageDirection.INBOUND);
    assert.equal(text.channelMessageId, CUSTOMER_MESSAGE_ID);
    assert.deepEqual(text.content.kind === 'text' && text.content.body, 'My parcel arrived damaged, photo attached.\n\nJane');
    const conversation = await s.db.em.fork().findOneOrFail(Conversation, { id: text.conversationId });
    assert.equal(conversation.externalId, CUSTOMER);
    assert.equal(conversation.name, 'Jane Doe');
    assert.equal(file.conversationId, conversation.id, 'the attachment is in the same conversation');
    assert.equal(conversation.lastMessagePreview, 'damage.png');
    assert.doesNotMatch(text.content.kind === 'text' ? text.content.body : '', /wrote:|Tracking/, 'the quoted history is trimmed');

    // The attachment is stored and downloadable by an agent.
    const media = file.content as MediaBody;
    assert.ok(media.mediaId, `the attachment was stored: ${JSON.stringify(media)}`);
    const download = await fetch(`${s.httpUrl}/media/${media.mediaId}`, { headers: { authorization: `Bearer ${s.tokens.owner}` } });
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), TINY_PNG);

    // A redelivery of the same email changes nothing.
    const again = await postWebhook(raw, { 'x-switchboard-signature': emailSignature(INBOUND_SECRET, raw) });
    assert.deepEqual(await again.json(), { received: 2, duplicates: 2 });

    // The agent answers; the reply reaches the SMTP server threaded under the customer's email.
    const sent = await s.client(s.tokens.owner).data(DeliverySendTextDocument, {
      conversationId: conversation.id,
      body: 'Sorry about that! A replacement is on its way.',
    });
    const messageId = sent.sendMessage.message.id;
    await smtp.received(1);
    const mail = smtp.mails[0];
    assert.deepEqual(mail.to, [CUSTOMER]);
    assert.equal(mail.from, INBOX_ADDRESS);
    assert.equal(mail.parsed.subject, 'Re: Damaged parcel');
    assert.equal(mail.parsed.inReplyTo, CUSTOMER_MESSAGE_ID);
    assert.deepEqual(mail.parsed.references, ['<order-shipped.1@shop.example>', CUSTOMER_MESSAGE_ID]);
    assert.equal(mail.parsed.messageId, `<${messageId}@shop.example>`);
    assert.deepEqual(mail.parsed.from?.value, [{ address: INBOX_ADDRESS, name: 'Shop Support' }]);
    assert.equal(mail.parsed.text?.trim(), 'Sorry about that! A replacement is on its way.');
    assert.match(mail.parsed.html || '', /<p>Sorry about that! A replacement is on its way.<\/p>/);

    // Email has no delivery receipts: the message ends at SENT with our Message-ID as its channel id.
    const final = await waitForMessage(
      s.db,
      s.server.deps.pubsub,
      s.demo.tenant.id,
      messageId,
      (m) => m.deliveryStatus === DeliveryStatus.SENT,
    );
    assert.equal(final.channelMessageId, `<${messageId}@shop.example>`);
  });
});
