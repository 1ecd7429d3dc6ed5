import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, requestHash, retryOnUniqueViolation } from '../../src/modules/idempotency/idempotency.service';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { normalizeAddress } from '../../src/modules/contact/contact-address';
import { ChannelKind } from '../../src/modules/channel/channel-kind';

describe('canonical request', () => {
  test('key order, null and absent members do not change the hash; values and array order do', () => {
    class Input {
      constructor(
        public b: unknown,
        public a: unknown,
        public c?: unknown,
      ) {}
    }
    assert.equal(canonicalJson({ b: 1, a: { y: [1, 2], x: null } }), '{"a":{"y":[1,2]},"b":1}');
    assert.equal(requestHash(new Input(1, { y: [1, 2] }, undefined)), requestHash({ a: { y: [1, 2], x: null }, b: 1 }));
    assert.notEqual(requestHash({ a: [1, 2] }), requestHash({ a: [2, 1] }));
    assert.notEqual(requestHash({ a: 'Hi' }), requestHash({ a: 'Hi ' }));
    assert.match(requestHash({}), /^[0-9a-f]{64}$/);
  });
});

describe('retryOnUniqueViolation', () => {
  const violation = () => new UniqueConstraintViolationException(new Error('duplicate key'));

  test('runs again once after a unique violation, then gives up', async () => {
    let calls = 0;
    assert.equal(await retryOnUniqueViolation(async () => (++calls === 1 ? Promise.reject(violation()) : 'second')), 'second');
    calls = 0;
    await assert.rejects(
      retryOnUniqueViolation(async () => (calls++, Promise.reject(violation()))),
      UniqueConstraintViolationException,
    );
    assert.equal(calls, 2);
  });

  test('other errors are not retried', async () => {
    let calls = 0;
    await assert.rejects(
      retryOnUniqueViolation(async () => (calls++, Promise.reject(new Error('boom')))),
      /boom/,
    );
    assert.equal(calls, 1);
  });
});

describe('normalizeAddress', () => {
  test('phone channels: every spelling of a number is one E.164 address; national numbers are refused', () => {
    for (const raw of ['+48 600 123 456', '0048-600-123-456', '+48 (0)600 123 456', 'tel:+48.600.123.456']) {
      assert.equal(normalizeAddress(ChannelKind.WHATSAPP, raw), '+48600123456', raw);
      assert.equal(normalizeAddress(ChannelKind.SMS, raw), '+48600123456', raw);
    }
    assert.equal(normalizeAddress(ChannelKind.SMS, '600 123 456'), null);
    assert.equal(normalizeAddress(ChannelKind.WHATSAPP, 'anna'), null);
  });

  test('email is lowercased; platform ids are trimmed and opaque', () => {
    assert.equal(normalizeAddress(ChannelKind.EMAIL, ' Anna@Example.COM '), 'anna@example.com');
    assert.equal(normalizeAddress(ChannelKind.EMAIL, 'not-an-email'), null);
    assert.equal(normalizeAddress(ChannelKind.MESSENGER, ' 6543210987 '), '6543210987');
    assert.equal(normalizeAddress(ChannelKind.TELEGRAM, 'two words'), null);
    assert.equal(normalizeAddress(ChannelKind.INSTAGRAM, '   '), null);
  });
});
