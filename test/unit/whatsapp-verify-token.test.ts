import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { WhatsAppCloudAdapter } from '../../src/channels/whatsapp-cloud/whatsapp-cloud.adapter';
import { ChannelKind } from '../../src/modules/channel/channel-kind';

const adapter = (providerConfig: Record<string, unknown>) =>
  new WhatsAppCloudAdapter({
    id: 'ibx_01J0000000000000000000000A',
    tenantId: 'tn_1',
    channel: ChannelKind.WHATSAPP,
    provider: 'whatsapp_cloud',
    providerConfig,
    senderAddress: '+14155550100',
  });

const handshake = (token: unknown, challenge: unknown = '1158201444') => ({
  'hub.mode': 'subscribe',
  'hub.verify_token': token,
  'hub.challenge': challenge,
});

test('the webhook handshake echoes the challenge only for the exact verify token', () => {
  const wa = adapter({ verifyToken: 's3cret-token' });
  assert.equal(wa.verifySubscription(handshake('s3cret-token')), '1158201444');
  assert.equal(wa.verifySubscription(handshake('s3cret-tokeN')), null, 'same length, one byte off');
  assert.equal(wa.verifySubscription(handshake('s3cret')), null, 'a prefix');
  assert.equal(wa.verifySubscription(handshake('s3cret-token-and-more')), null, 'longer');
  assert.equal(wa.verifySubscription(handshake('')), null);
  assert.equal(wa.verifySubscription(handshake(['s3cret-token', 'x'])), null, 'repeated query parameter');
  assert.equal(wa.verifySubscription(handshake(undefined)), null);
  assert.equal(wa.verifySubscription({ ...handshake('s3cret-token'), 'hub.mode': 'unsubscribe' }), null);
  assert.equal(adapter({}).verifySubscription(handshake('')), null, 'no verify token configured: nothing matches');
  // Multi-byte characters: equal strings, compared as bytes.
  assert.equal(adapter({ verifyToken: 'żółw-🐢' }).verifySubscription(handshake('żółw-🐢')), '1158201444');
  assert.equal(adapter({ verifyToken: 'żółw-🐢' }).verifySubscription(handshake('zolw-🐢')), null);
});

test('the verify token is compared in constant time, never with a short-circuiting ===', (t) => {
  const compare = mock.method(crypto, 'timingSafeEqual');
  t.after(() => compare.mock.restore());
  const wa = adapter({ verifyToken: 's3cret-token' });
  assert.equal(wa.verifySubscription(handshake('s3cret-tokeN')), null);
  assert.equal(compare.mock.callCount(), 1);
  const [a, b] = compare.mock.calls[0].arguments as [Buffer, Buffer];
  assert.equal(a.length, b.length);
  assert.equal(wa.verifySubscription(handshake('s3cret-token')), '1158201444');
  assert.equal(compare.mock.callCount(), 2);
});
