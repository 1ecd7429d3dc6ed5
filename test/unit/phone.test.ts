import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePhone } from '../../src/lib/phone';

describe('normalizePhone', () => {
  const cases: Array<[raw: string, defaultCode: string | undefined, expected: string | null]> = [
    // Already international, with assorted formatting.
    ['+48123456789', undefined, '+48123456789'],
    ['+48 123 456 789', undefined, '+48123456789'],
    ['+48-123-456-789', undefined, '+48123456789'],
    ['+1 (202) 555-0143', undefined, '+12025550143'],
    ['+1.202.555.0143', undefined, '+12025550143'],
    ['  +48 123 456 789  ', undefined, '+48123456789'],
    ['+44 (0)20 7946 0958', undefined, '+442079460958'],
    // 00 international prefix.
    ['0048 123 456 789', undefined, '+48123456789'],
    ['0044 (0)20 7946 0958', '48', '+442079460958'],
    // URI prefixes.
    ['tel:+1-202-555-0143', undefined, '+12025550143'],
    ['TEL:+12025550143', undefined, '+12025550143'],
    ['whatsapp:+14155238886', undefined, '+14155238886'],
    ['whatsapp:48123456789', undefined, '+48123456789'],
    // National numbers need a default country.
    ['123 456 789', '48', '+48123456789'],
    ['123 456 789', '+48', '+48123456789'],
    ['020 7946 0958', '44', '+442079460958'],
    ['06 1234 5678', '39', '+390612345678'],
    ['(202) 555-0143', '1', '+12025550143'],
    ['1-202-555-0143', '1', '+12025550143'],
    ['123 456 789', undefined, null],
    // Not phone numbers.
    ['', undefined, null],
    ['   ', undefined, null],
    ['hello', '48', null],
    ['+48 12A 456 789', undefined, null],
    ['1-800-FLOWERS', '1', null],
    ['+48 123#456', undefined, null],
    ['48+123456789', undefined, null],
    ['++48123456789', undefined, null],
    ['tel:+12025550143;ext=12', undefined, null],
    ['mailto:+12025550143', undefined, null],
    // Length and country-code shape.
    ['+1234567', undefined, null], // 7 digits
    ['+1234567890123456', undefined, null], // 16 digits
    ['+0123456789', undefined, null], // country code cannot start with 0
    ['000123456789', undefined, null],
    ['+'.padEnd(80, '1'), undefined, null],
    // The right shape is not enough: the number must exist in its country's numbering plan.
    ['+999 1234 5678', undefined, null], // no country 999
    ['+1 000 000 0000', undefined, null], // no NANP area code 000
    ['+1 202 055 0143', undefined, null], // NANP exchanges cannot start with 0
    ['+12345678', undefined, null], // +1 with 7 digits
    ['+123456789012345', undefined, null], // 15 digits, too long for NANP
    ['+49 15100', undefined, null], // right length for Germany under `min`, not a German number
    ['+44 7700 900123', undefined, null], // Ofcom's drama range, never allocated
    ['+44 7400 123456', undefined, '+447400123456'],
    ['+49 151 12345678', undefined, '+4915112345678'],
    ['+81 90 1234 5678', undefined, '+819012345678'],
  ];

  for (const [raw, defaultCode, expected] of cases) {
    test(`${JSON.stringify(raw)}${defaultCode ? ` (default ${defaultCode})` : ''} → ${expected}`, () => {
      assert.equal(normalizePhone(raw, defaultCode), expected);
    });
  }

  test('output always has the E.164 shape', () => {
    for (const [raw, defaultCode] of cases) {
      const result = normalizePhone(raw, defaultCode);
      if (result !== null) assert.match(result, /^\+[1-9]\d{7,14}$/);
    }
  });

  test('an invalid default calling code is a configuration error', () => {
    assert.throws(() => normalizePhone('123456789', '0'), RangeError);
    assert.throws(() => normalizePhone('123456789', '1234'), RangeError);
    assert.throws(() => normalizePhone('123456789', 'PL'), RangeError);
  });
});
