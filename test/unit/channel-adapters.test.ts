import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterRegistry, UnknownProviderError } from '../../src/channels/adapter-registry';
import { SandboxAdapter } from '../../src/channels/sandbox/sandbox.adapter';
import { SandboxCarrier, sandboxStatusEvent } from '../../src/channels/sandbox/sandbox.carrier';
import { sandboxScenario, sandboxSettings, sandboxWebhookSecret } from '../../src/channels/sandbox/sandbox.settings';
import { parseSandboxWebhook, signSandboxWebhook, verifySandboxSignature } from '../../src/channels/sandbox/sandbox.wire';
import { WhatsAppCloudAdapter, whatsAppSignature } from '../../src/channels/whatsapp-cloud/whatsapp-cloud.adapter';
import {
  parseTemplatePage,
  parseWhatsAppWebhook,
  toWhatsAppBody,
  toWhatsAppReaction,
  uploadedMediaIds,
  whatsAppFailure,
} from '../../src/channels/whatsapp-cloud/whatsapp-cloud.wire';
import { WebhookPayloadError } from '../../src/channels/channel-adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { ContentKind, MediaKind } from '../../src/modules/message/content-kind';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import type { StoredContent } from '../../src/modules/message/message-content';

const text = (body: string) => ({ kind: ContentKind.TEXT as const, body });
const inbox = (provider: string, channel = ChannelKind.WHATSAPP, providerConfig: Record<string, unknown> = {}) => ({
  id: 'ibx_01J0000000000000000000000A',
  tenantId: 'tn_1',
  channel,
  provider,
  providerConfig,
  senderAddress: '+14155550100',
});
const carrier = new SandboxCarrier();
const registry = new AdapterRegistry({
  webhookUrl: (id) => `http://127.0.0.1:1/webhooks/${id}`,
  sandbox: carrier,
  sandboxSecret: 'server',
  fetch,
});

test('the registry builds the adapter an inbox names and refuses unknown providers clearly', () => {
  assert.ok(registry.forInbox(inbox('sandbox', ChannelKind.SMS)) instanceof SandboxAdapter);
  assert.ok(registry.forInbox(inbox('whatsapp_cloud')) instanceof WhatsAppCloudAdapter);
  assert.throws(
    () => registry.forInbox(inbox('carrier-pigeon')),
    (err: unknown) => {
      assert.ok(err instanceof UnknownProviderError);
      assert.match(err.message, /provider "carrier-pigeon".*known: sandbox, whatsapp_cloud/);
      return true;
    },
  );
  assert.throws(() => registry.forInbox(inbox('whatsapp_cloud', ChannelKind.SMS)), /WhatsApp inboxes only/);
  // Capabilities still answer for an inbox whose provider is unknown or misconfigured.
  assert.equal(registry.capabilities(inbox('carrier-pigeon', ChannelKind.SMS)).reactions, false);
  assert.equal(registry.capabilities(inbox('whatsapp_cloud', ChannelKind.SMS)).maxTextLength, 1600);
});

test('sandbox adapters carry their channel kind and its capabilities', () => {
  const sms = registry.forInbox(inbox('sandbox', ChannelKind.SMS));
  const telegram = registry.forInbox(inbox('sandbox', ChannelKind.TELEGRAM));
  assert.deepEqual([sms.channel, sms.capabilities.readReceipts, sms.capabilities.maxTextLength], [ChannelKind.SMS, false, 1600]);
  assert.deepEqual([telegram.channel, telegram.capabilities.reactions], [ChannelKind.TELEGRAM, true]);
});

test('sandbox scenario markers decide failures without randomness', () => {
  assert.deepEqual(sandboxScenario(text('hello')), { kind: 'accept' });
  assert.deepEqual(sandboxScenario(text('please #fail now')), { kind: 'reject', failure: 'rejected' });
  assert.deepEqual(sandboxScenario(text('#fail:auth')), { kind: 'reject', failure: 'auth' });
  assert.deepEqual(sandboxScenario(text('#fail:window')), { kind: 'reject', failure: 'window_closed' });
  assert.deepEqual(sandboxScenario(text('#fail:unsupported')), { kind: 'reject', failure: 'unsupported' });
  assert.deepEqual(sandboxScenario(text('#fail:temporary')), { kind: 'temporary', times: null });
  assert.deepEqual(sandboxScenario(text('#FAIL:Temporary:2')), { kind: 'temporary', times: 2 });
  assert.deepEqual(sandboxScenario(text('#fail:delivery')), { kind: 'undeliverable' });
  assert.deepEqual(sandboxScenario(text('#failure is not a marker')), { kind: 'accept' });
  assert.deepEqual(sandboxScenario({ kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, url: 'https://x/y.png', caption: 'pic #fail' }), {
    kind: 'reject',
    failure: 'rejected',
  });
});

test('sandbox settings are read defensively from free-form JSON', () => {
  assert.deepEqual(sandboxSettings({}), { latencyMs: 0, failureRate: 0, webhookSecret: null, statusCallbacks: null, failRecipients: [] });
  assert.deepEqual(
    sandboxSettings({ latencyMs: -5, failureRate: 7, webhookSecret: '', statusCallbacks: ['sent', 'bogus', 3], failRecipients: ['+1', 2] }),
    {
      latencyMs: 0,
      failureRate: 1,
      webhookSecret: null,
      statusCallbacks: [DeliveryStatus.SENT],
      failRecipients: ['+1'],
    },
  );
  const derived = sandboxWebhookSecret('ibx_a', { webhookSecret: null }, 'server');
  assert.notEqual(derived, sandboxWebhookSecret('ibx_b', { webhookSecret: null }, 'server'), 'each inbox has its own key');
  assert.equal(sandboxWebhookSecret('ibx_a', { webhookSecret: 'own' }, 'server'), 'own');
});

test('sandbox signatures cover the body and the timestamp, and expire', () => {
  const body = Buffer.from(JSON.stringify({ events: [sandboxStatusEvent('sandbox.x', DeliveryStatus.READ)] }));
  const now = Date.parse('2026-01-01T12:00:00Z');
  const header = signSandboxWebhook('secret', body, now);
  const h = (v: string) => ({ 'x-sandbox-signature': v });
  assert.equal(verifySandboxSignature('secret', body, h(header), now), true);
  assert.equal(verifySandboxSignature('other', body, h(header), now), false);
  assert.equal(verifySandboxSignature('secret', Buffer.concat([body, Buffer.from(' ')]), h(header), now), false);
  assert.equal(verifySandboxSignature('secret', body, h(header), now + 6 * 60_000), false, 'replayed too late');
  assert.equal(verifySandboxSignature('secret', body, h(header.replace(/t=\d+/, `t=${now / 1000 + 1}`)), now), false);
  assert.equal(verifySandboxSignature('secret', body, {}, now), false);
  assert.equal(verifySandboxSignature('secret', body, h('t=1,v1=zz'), now), false);
});

test('sandbox webhooks parse into normalised events; malformed ones are refused', () => {
  const at = '2026-01-01T12:00:00.000Z';
  const events = parseSandboxWebhook(
    Buffer.from(
      JSON.stringify({
        events: [
          { id: 'e1', type: 'message', timestamp: at, from: '+48123456789', name: ' Ann ', message: { id: 'm1', text: 'hi' } },
          { id: 'e2', type: 'status', timestamp: at, message_id: 'm0', status: 'failed', error: { code: 'x', message: 'y' } },
          { id: 'e3', type: 'reaction', timestamp: at, from: '+48123456789', message_id: 'm0', emoji: null },
        ],
      }),
    ),
  );
  assert.deepEqual(events, [
    {
      type: 'message_received',
      providerEventId: 'e1',
      from: '+48123456789',
      fromName: 'Ann',
      channelMessageId: 'm1',
      content: text('hi'),
      occurredAt: new Date(at),
    },
    {
      type: 'status_changed',
      providerEventId: 'e2',
      channelMessageId: 'm0',
      status: DeliveryStatus.FAILED,
      failure: { code: 'x', reason: 'y' },
      occurredAt: new Date(at),
    },
    {
      type: 'reaction_received',
      providerEventId: 'e3',
      channelMessageId: 'm0',
      from: '+48123456789',
      emoji: null,
      removed: true,
      occurredAt: new Date(at),
    },
  ]);
  for (const bad of [
    'nope',
    '{}',
    '{"events":[{"type":"status","id":"e","timestamp":"x","message_id":"m","status":"sent"}]}',
    '{"events":[{"id":"e","type":"status","timestamp":"2026-01-01T00:00:00Z","message_id":"m","status":"pending"}]}',
  ]) {
    assert.throws(() => parseSandboxWebhook(Buffer.from(bad)), WebhookPayloadError, bad);
  }
});

test('WhatsApp errors map to failure kinds by Graph error code, then HTTP status; any 5xx is uncertain', () => {
  const err = (code: number, message = 'm') => ({ error: { code, message } });
  assert.equal(whatsAppFailure(400, err(131047), null).kind, 'window_closed');
  assert.equal(whatsAppFailure(401, err(190), null).kind, 'auth');
  assert.equal(whatsAppFailure(400, err(131026), null).kind, 'rejected');
  assert.equal(whatsAppFailure(400, err(131051), null).kind, 'unsupported');
  assert.deepEqual(whatsAppFailure(429, err(130429, 'Rate limit'), '30'), {
    kind: 'temporary',
    code: 'whatsapp_130429',
    reason: 'Rate limit',
    retryAfterMs: 30_000,
    rateLimited: true,
  });
  // Pair rate limit: only this recipient waits (~6 s), the sender keeps its pace.
  assert.deepEqual(whatsAppFailure(400, err(131056, 'Pair rate limit hit'), null), {
    kind: 'temporary',
    code: 'whatsapp_131056',
    reason: 'Pair rate limit hit',
    retryAfterMs: 6_000,
  });
  // Account in maintenance: the whole sender waits, a minute unless Meta says otherwise.
  assert.deepEqual(whatsAppFailure(400, err(131057, 'Account in maintenance mode'), null), {
    kind: 'temporary',
    code: 'whatsapp_131057',
    reason: 'Account in maintenance mode',
    retryAfterMs: 60_000,
    rateLimited: true,
  });
  assert.equal(whatsAppFailure(429, null, null).rateLimited, true, 'a bare 429 throttles the sender');
  assert.match(whatsAppFailure(400, err(131026, 'Message undeliverable'), null).reason, /undeliverable/i);
  assert.deepEqual(whatsAppFailure(502, null, null), {
    kind: 'temporary',
    uncertain: true,
    code: 'http_502',
    reason: 'WhatsApp answered HTTP 502',
  });
  // Meta does not promise that a 5xx was not accepted, whatever error code it carries.
  assert.equal(whatsAppFailure(500, err(131000, 'Something went wrong'), null).uncertain, true);
  assert.equal(whatsAppFailure(503, err(2, 'Service temporarily unavailable'), null).uncertain, true);
  assert.equal(whatsAppFailure(400, err(131000, 'Something went wrong'), null).uncertain, undefined);
  assert.equal(whatsAppFailure(429, err(130429), null).uncertain, undefined);
  assert.equal(whatsAppFailure(403, null, null).kind, 'auth');
  assert.equal(whatsAppFailure(400, err(999_999), null).kind, 'rejected');
  assert.equal(
    whatsAppFailure(400, { error: { code: 100, message: 'Invalid parameter', error_data: { details: 'to is bad' } } }, null).reason,
    'Invalid parameter: to is bad',
  );
});

test('WhatsApp bodies: templates and media by URL are translated; what WhatsApp cannot carry is refused', () => {
  const template = toWhatsAppBody(
    {
      kind: ContentKind.TEMPLATE,
      name: 'order_ready',
      language: 'en_US',
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Anna' },
            { type: 'currency', fallbackValue: '$5', code: 'USD', amount1000: 5000 },
          ],
        },
        { type: 'button', subType: 'url', index: 0, parameters: [{ type: 'text', text: 'abc' }] },
      ],
    },
    '+48123456789',
  );
  assert.deepEqual(template, {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '48123456789',
    type: 'template',
    template: {
      name: 'order_ready',
      language: { code: 'en_US' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Anna' },
            { type: 'currency', currency: { fallback_value: '$5', code: 'USD', amount_1000: 5000 } },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'abc' }] },
      ],
    },
  });
  const doc = toWhatsAppBody(
    { kind: ContentKind.MEDIA, mediaKind: MediaKind.DOCUMENT, url: 'https://x/a.pdf', filename: 'a.pdf', caption: 'Invoice' },
    '+1',
    { replyTo: 'wamid.Q' },
  );
  assert.deepEqual(doc, {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '1',
    context: { message_id: 'wamid.Q' },
    type: 'document',
    document: { link: 'https://x/a.pdf', caption: 'Invoice', filename: 'a.pdf' },
  });
  assert.equal(typeof toWhatsAppBody({ kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, mediaId: 'mda_1' }, '+1'), 'string');
  assert.equal(typeof toWhatsAppBody({ kind: ContentKind.RICH, cards: [] }, '+1'), 'string');
});

test('WhatsApp webhooks: messages, statuses and reactions for our number; other numbers are skipped', () => {
  const body = (phoneNumberId: string) =>
    Buffer.from(
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'W',
            changes: [
              {
                field: 'messages',
                value: {
                  metadata: { phone_number_id: phoneNumberId },
                  contacts: [{ wa_id: '4915100', profile: { name: 'Greta' } }],
                  messages: [
                    {
                      from: '4915100',
                      id: 'wamid.A',
                      timestamp: '1767268800',
                      type: 'image',
                      image: { mime_type: 'image/jpeg', caption: 'look' },
                      context: { id: 'wamid.Z' },
                    },
                    {
                      from: '4915100',
                      id: 'wamid.B',
                      timestamp: '1767268800',
                      type: 'reaction',
                      reaction: { message_id: 'wamid.Z', emoji: '❤️' },
                    },
                  ],
                  statuses: [
                    { id: 'wamid.Z', status: 'read', timestamp: '1767268800', biz_opaque_callback_data: 'msg_ours' },
                    { id: 'wamid.Z', status: 'deleted', timestamp: '1767268800' },
                  ],
                },
              },
            ],
          },
        ],
      }),
    );
  const at = new Date(1767268800 * 1000);
  assert.deepEqual(parseWhatsAppWebhook(body('PN'), 'PN'), [
    {
      type: 'message_received',
      providerEventId: 'wamid.A',
      from: '+4915100',
      fromName: 'Greta',
      channelMessageId: 'wamid.A',
      content: {
        kind: ContentKind.MEDIA,
        mediaKind: MediaKind.IMAGE,
        mediaId: null,
        url: null,
        mimeType: 'image/jpeg',
        filename: null,
        caption: 'look',
      },
      replyToChannelMessageId: 'wamid.Z',
      occurredAt: at,
    },
    {
      type: 'reaction_received',
      providerEventId: 'wamid.B',
      channelMessageId: 'wamid.Z',
      from: '+4915100',
      emoji: '❤️',
      removed: false,
      occurredAt: at,
    },
    {
      type: 'status_changed',
      providerEventId: 'wamid.Z:read',
      channelMessageId: 'wamid.Z',
      messageId: 'msg_ours',
      status: DeliveryStatus.READ,
      failure: null,
      occurredAt: at,
    },
  ]);
  assert.deepEqual(parseWhatsAppWebhook(body('OTHER'), 'PN'), []);
  assert.throws(() => parseWhatsAppWebhook(Buffer.from('{"object":"x"}'), 'PN'), WebhookPayloadError);
});

test('WhatsApp signatures are HMAC-SHA256 of the raw body with the app secret', () => {
  const adapter = new WhatsAppCloudAdapter(inbox('whatsapp_cloud', ChannelKind.WHATSAPP, { appSecret: 'app' }));
  const body = Buffer.from('{"entry":[]}');
  assert.equal(adapter.verifySignature(body, { 'x-hub-signature-256': whatsAppSignature('app', body) }), true);
  assert.equal(
    adapter.verifySignature(body, { 'x-hub-signature-256': whatsAppSignature('app', body).toUpperCase().replace('SHA256', 'sha256') }),
    true,
  );
  assert.equal(adapter.verifySignature(body, { 'x-hub-signature-256': whatsAppSignature('nope', body) }), false);
  assert.equal(adapter.verifySignature(body, {}), false);
  const unconfigured = new WhatsAppCloudAdapter(inbox('whatsapp_cloud'));
  assert.equal(unconfigured.verifySignature(body, { 'x-hub-signature-256': whatsAppSignature('', body) }), false, 'no secret, no trust');
});

test('WhatsApp media: uploads go by Meta media id (document with filename, template header too), links by URL, reactions as reaction messages', () => {
  const ids = new Map([
    ['mda_img', '4490709327'],
    ['mda_doc', '4490709328'],
  ]);
  assert.deepEqual(uploadedMediaIds({ kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, mediaId: 'mda_img' }), ['mda_img']);
  assert.deepEqual(uploadedMediaIds({ kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, url: 'https://x/a.png' }), []);
  assert.deepEqual(
    toWhatsAppBody({ kind: ContentKind.MEDIA, mediaKind: MediaKind.IMAGE, mediaId: 'mda_img', caption: 'Receipt' }, '+1', {
      metaMediaIds: ids,
    }),
    {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '1',
      type: 'image',
      image: { id: '4490709327', caption: 'Receipt' },
    },
  );
  assert.deepEqual(
    toWhatsAppBody({ kind: ContentKind.MEDIA, mediaKind: MediaKind.DOCUMENT, mediaId: 'mda_doc', filename: 'a.pdf' }, '+1', {
      metaMediaIds: ids,
    }),
    {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '1',
      type: 'document',
      document: { id: '4490709328', filename: 'a.pdf' },
    },
  );
  assert.deepEqual(
    toWhatsAppBody({ kind: ContentKind.MEDIA, mediaKind: MediaKind.AUDIO, mediaId: 'mda_img', caption: 'dropped' }, '+1', {
      metaMediaIds: ids,
    }),
    { messaging_product: 'whatsapp', recipient_type: 'individual', to: '1', type: 'audio', audio: { id: '4490709327' } },
    'WhatsApp refuses captions on audio',
  );
  const template: StoredContent = {
    kind: ContentKind.TEMPLATE,
    name: 'invoice',
    language: 'en_US',
    components: [{ type: 'header', parameters: [{ type: 'media', mediaKind: MediaKind.DOCUMENT, mediaId: 'mda_doc' }] }],
  };
  assert.deepEqual(uploadedMediaIds(template), ['mda_doc']);
  assert.deepEqual((toWhatsAppBody(template, '+1', { metaMediaIds: ids }) as Record<string, unknown>).template, {
    name: 'invoice',
    language: { code: 'en_US' },
    components: [{ type: 'header', parameters: [{ type: 'document', document: { id: '4490709328' } }] }],
  });
  assert.match(String(toWhatsAppBody(template, '+1')), /mda_doc was not uploaded/);
  assert.deepEqual(toWhatsAppReaction('+4915', 'wamid.X', '👍'), {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '4915',
    type: 'reaction',
    reaction: { message_id: 'wamid.X', emoji: '👍' },
  });
  assert.equal((toWhatsAppReaction('+4915', 'wamid.X', null).reaction as { emoji: string }).emoji, '', 'an empty emoji removes it');
});

test('WhatsApp inbound media names the Meta media id for fetchMedia; the content keeps caption, type and filename', () => {
  const body = Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: 'PN' },
                messages: [
                  {
                    from: '4915',
                    id: 'wamid.D',
                    timestamp: '1700000000',
                    type: 'document',
                    document: { id: '777', mime_type: 'application/pdf', filename: 'invoice.pdf', caption: 'March' },
                  },
                ],
              },
            },
          ],
        },
      ],
    }),
  );
  const [event] = parseWhatsAppWebhook(body, 'PN');
  assert.equal(event.type, 'message_received');
  assert.deepEqual(event.type === 'message_received' && [event.content, event.media], [
    {
      kind: ContentKind.MEDIA,
      mediaKind: MediaKind.DOCUMENT,
      mediaId: null,
      url: null,
      mimeType: 'application/pdf',
      filename: 'invoice.pdf',
      caption: 'March',
    },
    { ref: '777', mimeType: 'application/pdf', filename: 'invoice.pdf' },
  ]);
});

test('WhatsApp template pages: parameters counted per component, named ones listed, buttons say whether they take a parameter', () => {
  const page = parseTemplatePage({
    data: [
      {
        id: '1',
        name: 'order_ready',
        language: 'en_US',
        status: 'APPROVED',
        category: 'UTILITY',
        components: [
          { type: 'HEADER', format: 'IMAGE' },
          { type: 'BODY', text: 'Hi {{1}}, order {{2}} is ready ({{1}}).' },
          { type: 'FOOTER', text: 'Acme' },
          {
            type: 'BUTTONS',
            buttons: [
              { type: 'QUICK_REPLY', text: 'Thanks' },
              { type: 'URL', text: 'Track', url: 'https://acme.test/t/{{1}}' },
              { type: 'URL', text: 'Shop', url: 'https://acme.test/' },
              { type: 'COPY_CODE', example: 'SAVE10' },
            ],
          },
        ],
      },
      {
        name: 'welcome',
        language: 'de',
        status: 'APPROVED',
        parameter_format: 'NAMED',
        components: [{ type: 'BODY', text: 'Hallo {{first_name}}!' }],
      },
    ],
    paging: { cursors: { before: 'a', after: 'b' }, next: 'https://graph.facebook.com/next' },
  });
  assert.equal(page.after, 'b');
  const [order, welcome] = page.templates;
  assert.deepEqual(
    order.components.map((c) => [c.type, c.format, c.parameterCount]),
    [
      ['HEADER', 'IMAGE', 0],
      ['BODY', null, 2],
      ['FOOTER', null, 0],
      ['BUTTONS', null, 0],
    ],
  );
  assert.deepEqual(
    order.components[3].buttons.map((b) => [b.type, b.takesParameter]),
    [
      ['QUICK_REPLY', false],
      ['URL', true],
      ['URL', false],
      ['COPY_CODE', true],
    ],
  );
  assert.deepEqual(welcome.components[0].namedParameters, ['first_name']);
  assert.equal(parseTemplatePage({ data: [], paging: { cursors: { after: 'z' } } }).after, null, 'no next: the last page');
  assert.throws(() => parseTemplatePage({ error: { code: 190 } }));
});
