import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenRefusal, type TokenRefusal } from '../../src/modules/auth/auth.service';

/** The one rule requests and open websockets share for whether a stored token still authenticates. */
test('tokenRefusal: revoked, expired, deactivated user, user of another tenant; otherwise usable', () => {
  const now = new Date('2026-12-06T12:00:00Z');
  const token = { revokedAt: null, expiresAt: null, tenantId: 'tn_a' };
  const user = { tenantId: 'tn_a', active: true };
  const cases: [string, Parameters<typeof tokenRefusal>[0], Parameters<typeof tokenRefusal>[1], TokenRefusal | null][] = [
    ['usable, no expiry', token, user, null],
    ['expires later', { ...token, expiresAt: new Date(now.getTime() + 1) }, user, null],
    ['expires now', { ...token, expiresAt: now }, user, 'expired'],
    ['revoked', { ...token, revokedAt: new Date(0) }, user, 'revoked'],
    ['revoked and expired: revoked wins', { ...token, revokedAt: new Date(0), expiresAt: new Date(0) }, user, 'revoked'],
    ['user deactivated', token, { ...user, active: false }, 'user_inactive'],
    ['user moved to another tenant', token, { ...user, tenantId: 'tn_b' }, 'user_elsewhere'],
  ];
  for (const [name, t, u, expected] of cases) assert.equal(tokenRefusal(t, u, now), expected, name);
});
