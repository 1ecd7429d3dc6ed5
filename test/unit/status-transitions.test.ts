import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import {
  STATUS_RANK,
  STATUS_TRANSITIONS,
  Transition,
  decideTransition,
  isTerminal,
  isUncertainFailure,
} from '../../src/modules/message/status-transitions';

const ALL = Object.values(DeliveryStatus) as DeliveryStatus[];
const { PENDING, SENT, DELIVERED, READ, FAILED } = DeliveryStatus;

/**
 * Written from the rules in prose, not from the table: the happy path is an ordered list, FAILED
 * and READ are special-cased by name.
 */
const LADDER = [PENDING, SENT, DELIVERED, READ];

function expected(from: DeliveryStatus, to: DeliveryStatus, retry: boolean, uncertainFailure = false): Transition {
  if (retry) {
    if (to !== PENDING) return 'reject';
    if (from === FAILED) return 'apply';
    if (from === PENDING) return 'ignore';
    return 'reject';
  }
  // FAILED only for want of an answer: proof the provider had it (sent or later) wins.
  if (from === FAILED && uncertainFailure) return to === PENDING || to === FAILED ? 'ignore' : 'apply';
  if (from === FAILED) return 'ignore';
  if (to === FAILED) return from === READ ? 'ignore' : 'apply';
  return LADDER.indexOf(to) > LADDER.indexOf(from) ? 'apply' : 'ignore';
}

describe('decideTransition', () => {
  for (const retry of [false, true]) {
    for (const from of ALL) {
      for (const to of ALL) {
        test(`${from} → ${to}${retry ? ' (retry)' : ''}`, () => {
          assert.equal(decideTransition(from, to, { retry }), expected(from, to, retry));
        });
      }
    }
  }

  for (const retry of [false, true]) {
    for (const from of ALL) {
      for (const to of ALL) {
        test(`${from} → ${to}${retry ? ' (retry)' : ''}, failure uncertain`, () => {
          assert.equal(decideTransition(from, to, { retry, uncertainFailure: true }), expected(from, to, retry, true));
        });
      }
    }
  }

  test('a FAILED message that was refused stays FAILED; one that was never answered moves on when the provider reports it', () => {
    assert.equal(decideTransition(FAILED, READ), 'ignore');
    assert.equal(decideTransition(FAILED, READ, { uncertainFailure: true }), 'apply');
    assert.equal(decideTransition(FAILED, SENT, { uncertainFailure: true }), 'apply');
    assert.equal(decideTransition(FAILED, FAILED, { uncertainFailure: true }), 'ignore');
    assert.equal(decideTransition(FAILED, PENDING, { uncertainFailure: true }), 'ignore');
    assert.equal(decideTransition(SENT, FAILED, { uncertainFailure: true }), 'apply', 'the option only concerns FAILED messages');
  });

  test('uncertain failure codes: no answer (uncertain, timeout), not refusals', () => {
    for (const code of ['uncertain', 'timeout']) assert.equal(isUncertainFailure(code), true, code);
    for (const code of [null, undefined, '', 'whatsapp_131026', 'http_500', 'window_closed', 'toString', '__proto__']) {
      assert.equal(isUncertainFailure(code), false, String(code));
    }
  });

  test('no options behaves like retry: false and matches the table', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        assert.equal(decideTransition(from, to), STATUS_TRANSITIONS[from][to]);
        assert.equal(decideTransition(from, to), decideTransition(from, to, { retry: false }));
      }
    }
  });

  test('spot checks from the brief', () => {
    assert.equal(decideTransition(PENDING, DELIVERED), 'apply');
    assert.equal(decideTransition(SENT, READ), 'apply');
    assert.equal(decideTransition(READ, DELIVERED), 'ignore');
    assert.equal(decideTransition(DELIVERED, DELIVERED), 'ignore');
    assert.equal(decideTransition(DELIVERED, FAILED), 'apply');
    assert.equal(decideTransition(READ, FAILED), 'ignore');
    assert.equal(decideTransition(FAILED, PENDING), 'ignore');
    assert.equal(decideTransition(FAILED, PENDING, { retry: true }), 'apply');
    assert.equal(decideTransition(FAILED, SENT, { retry: true }), 'reject');
    assert.equal(decideTransition(SENT, PENDING, { retry: true }), 'reject');
  });
});

describe('STATUS_RANK', () => {
  test('orders the happy path strictly and keeps FAILED below it', () => {
    for (let i = 1; i < LADDER.length; i++) assert.ok(STATUS_RANK[LADDER[i]] > STATUS_RANK[LADDER[i - 1]]);
    for (const status of LADDER) assert.ok(STATUS_RANK[FAILED] < STATUS_RANK[status]);
  });
});

describe('isTerminal', () => {
  test('READ and FAILED only', () => {
    for (const status of ALL) assert.equal(isTerminal(status), status === READ || status === FAILED, status);
  });

  test('nothing but a retry leaves a terminal status', () => {
    for (const from of ALL.filter(isTerminal)) {
      for (const to of ALL) assert.notEqual(decideTransition(from, to), 'apply', `${from} → ${to}`);
    }
  });
});
