import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  MESSAGE_ID_PARAM,
  optOutOf,
  parseForm,
  parseTwilioWebhook,
  twilioFailure,
  twilioSignature,
  TWILIO_STATUS,
  validTwilioSignature,
} from '../../src/channels/twilio/twilio.wire';
import { ContentKind, MediaKind } from '../../src/modules/message/content-kind';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';

const TOKEN = 's3cr3t';
const form = (params: Record<string, string>) => parseForm(new URLSearchParams(params).toString());

describe('Twilio wire format', () => {
  test('the signature is base64 HMAC-SHA1 of the URL followed by the sorted name+value pairs', () => {
    const params = { To: '+18005551212', From: '+12349013030', Body: 'hi', CallSid: 'CA1234567890ABCDE' };
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const expected = createHmac('sha1', TOKEN)
      .update(`${url}BodyhiCallSidCA1234567890ABCDEFrom+12349013030To+18005551212`)
      .digest('base64');
    assert.equal(twilioSignature(TOKEN, url, form(params)), expected);
    assert.equal(validTwilioSignature(TOKEN, expected, url, form(params)), true);
    assert.equal(validTwilioSignature(TOKEN, expected, url, form({ ...params, Body: 'hi!' })), false, 'a changed parameter');
    assert.equal(
      validTwilioSignature(TOKEN, expected, 'https://mycompany.com/myapp.php?foo=1&bar=3', form(params)),
      false,
      'a changed query',
    );
    assert.equal(validTwilioSignature('other-token', expected, url, form(params)), false, 'another token');
    assert.equal(validTwilioSignature(TOKEN, undefined, url, form(params)), false, 'no header');
  });

  // The cases of twilio-node's spec/unit/webhooks/webhooks.spec.js (validateRequest).
  for (const [signed, called, valid] of [
    ['https://example.com/path?test=param', 'https://example.com/path?test=param2', false],
    ['https://example.com:443/path?test=param', 'https://example.com:443/path?test=param', true],
    ['https://example.com:443/path?test=param', 'https://example.com/path?test=param', true],
    ['https://example.com/path?test=param', 'https://example.com:443/path?test=param', true],
    ["https://example.com/path?test=param'WithQuote", "https://example.com/path?test=param'WithQuote", true],
    ["https://example.com/path?test=param'WithQuote", 'https://example.com/path?test=param%27WithQuote', true],
    ['https://example.com/path?test=param%27WithQuote', "https://example.com/path?test=param'WithQuote", true],
    ['http://127.0.0.1:4000/webhooks/inb_1?sb_mid=msg_1', 'http://127.0.0.1:4000/webhooks/inb_1?sb_mid=msg_1', true],
  ] as const) {
    test(`signed for ${signed}, called as ${called}: ${valid ? 'valid' : 'invalid'}`, () => {
      const signature = twilioSignature(TOKEN, signed, new Map());
      assert.equal(validTwilioSignature(TOKEN, signature, called, new Map()), valid);
    });
  }

  test('repeated parameters are signed with their distinct values sorted', () => {
    const params = parseForm('MediaUrl=b&MediaUrl=a&MediaUrl=b');
    const expected = createHmac('sha1', TOKEN).update('https://x.test/MediaUrlaMediaUrlb').digest('base64');
    assert.equal(twilioSignature(TOKEN, 'https://x.test/', params), expected);
  });

  test('send failures: opt-out and bad numbers are permanent, 20429/429 slow the sender, 5xx is uncertain, 401 is auth', () => {
    const optedOut = twilioFailure(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient' }, null);
    assert.deepEqual([optedOut.kind, optedOut.code], ['rejected', 'opted_out']);
    for (const code of [21211, 21614])
      assert.deepEqual(pick(twilioFailure(400, { code }, null)), ['rejected', 'invalid_number', undefined, undefined]);
    assert.deepEqual(pick(twilioFailure(429, { code: 20429 }, '2')), ['temporary', 'rate_limited', undefined, true]);
    assert.equal(twilioFailure(429, null, '2').retryAfterMs, 2000);
    assert.deepEqual(pick(twilioFailure(503, { code: 20500 }, null)), ['temporary', 'twilio_20500', true, undefined]);
    assert.deepEqual(pick(twilioFailure(401, { code: 20003 }, null)), ['auth', 'auth', undefined, undefined]);
    assert.deepEqual(pick(twilioFailure(400, { code: 99999 }, null)), ['rejected', 'twilio_99999', undefined, undefined]);
  });

  test('every documented MessageStatus has a mapping, undelivered/failed carry the ErrorCode', () => {
    const documented = [
      'queued',
      'sending',
      'sent',
      'failed',
      'delivered',
      'undelivered',
      'receiving',
      'received',
      'accepted',
      'scheduled',
      'read',
      'partially_delivered',
      'canceled',
    ];
    assert.deepEqual(Object.keys(TWILIO_STATUS).sort(), documented.sort());
    const [event] = parseTwilioWebhook(
      Buffer.from(new URLSearchParams({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' }).toString()),
      new URLSearchParams(`${MESSAGE_ID_PARAM}=msg_1`),
    );
    assert.equal(event.type, 'status_changed');
    if (event.type !== 'status_changed') return;
    assert.equal(event.status, DeliveryStatus.FAILED);
    assert.equal(event.messageId, 'msg_1');
    assert.equal(event.failure?.code, 'unreachable');
    assert.match(event.failure!.reason, /30003/);
  });

  test('opt-out keywords count only as the whole message, in any case; HELP changes nothing', () => {
    for (const word of ['STOP', 'stopall', ' Unsubscribe ', 'CANCEL', 'end', 'Quit']) assert.equal(optOutOf(word, null), 'stop', word);
    for (const word of ['START', 'yes', 'Unstop']) assert.equal(optOutOf(word, null), 'start', word);
    for (const word of ['HELP', 'info', 'please stop', 'stop it', '', null]) assert.equal(optOutOf(word, null), null, String(word));
    assert.equal(optOutOf('arret', 'STOP'), 'stop', 'Advanced Opt-Out names custom keywords');
  });

  test('an MMS with two files is two messages: the text on the first, the second id suffixed', () => {
    const events = parseTwilioWebhook(
      Buffer.from(
        new URLSearchParams({
          MessageSid: 'MM1',
          SmsStatus: 'received',
          From: '+14155550999',
          Body: 'two photos',
          NumMedia: '2',
          MediaUrl0: 'https://api.twilio.com/a',
          MediaContentType0: 'image/jpeg',
          MediaUrl1: 'https://api.twilio.com/b',
          MediaContentType1: 'video/mp4',
        }).toString(),
      ),
      new URLSearchParams(),
    );
    assert.deepEqual(
      events.map(
        (e) =>
          e.type === 'message_received' && [
            e.channelMessageId,
            e.content.kind === ContentKind.MEDIA && e.content.mediaKind,
            e.content.kind === ContentKind.MEDIA && e.content.caption,
            e.media?.ref,
          ],
      ),
      [
        ['MM1', MediaKind.IMAGE, 'two photos', 'https://api.twilio.com/a'],
        ['MM1-1', MediaKind.VIDEO, null, 'https://api.twilio.com/b'],
      ],
    );
  });
});

function pick(f: ReturnType<typeof twilioFailure>) {
  return [f.kind, f.code, f.uncertain, f.rateLimited];
}
