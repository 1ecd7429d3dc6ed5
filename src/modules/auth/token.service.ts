import type { EntityManager } from '@mikro-orm/core';
import { ApiToken } from './api-token.entity';
import { ALL_SCOPES, type Scope } from './scopes';
import { generateToken, hashToken } from './token';

/** Issues a token for a user and returns its plaintext, which is never stored and never shown again. */
export async function issueToken(
  em: EntityManager,
  opts: { tenantId: string; userId: string; name: string; scopes?: readonly Scope[]; expiresAt?: Date | null },
): Promise<{ token: string; record: ApiToken }> {
  const token = generateToken();
  const record = em.create(ApiToken, {
    tenantId: opts.tenantId,
    userId: opts.userId,
    name: opts.name,
    tokenHash: hashToken(token),
    scopes: [...(opts.scopes ?? ALL_SCOPES)],
    expiresAt: opts.expiresAt ?? null,
    revokedAt: null,
    createdAt: new Date(),
  });
  await em.flush();
  return { token, record };
}

/** Revokes a token by id within a tenant; true when something was revoked. */
export async function revokeToken(em: EntityManager, tenantId: string, tokenId: string): Promise<boolean> {
  const record = await em.findOne(ApiToken, { id: tokenId, tenantId, revokedAt: null });
  if (!record) return false;
  record.revokedAt = new Date();
  await em.flush();
  return true;
}
