import type { EntityManager } from '@mikro-orm/core';
import { InboxMember } from '../inbox/inbox-member.entity';
import { User } from '../user/user.entity';
import { ApiToken } from './api-token.entity';
import { hashToken } from './token';
import { TENANT_WIDE_ROLES, Viewer } from './viewer';

/**
 * Resolves a bearer token to a Viewer, or null when the token is unknown, revoked, expired or
 * belongs to a deactivated user — callers turn null into UNAUTHENTICATED without saying which.
 */
export async function authenticate(em: EntityManager, token: string, now = new Date()): Promise<Viewer | null> {
  const record = await em.findOne(ApiToken, { tokenHash: hashToken(token) });
  if (!record || record.revokedAt || (record.expiresAt && record.expiresAt <= now)) return null;
  const user = await em.findOne(User, { id: record.userId, tenantId: record.tenantId });
  if (!user || !user.active) return null;
  let members: Set<string> | null = null;
  if (!TENANT_WIDE_ROLES.includes(user.role)) {
    const rows = await em.find(InboxMember, { userId: user.id, tenantId: user.tenantId }, { fields: ['inboxId'] });
    members = new Set(rows.map((r) => r.inboxId));
  }
  return new Viewer(user, new Set(record.scopes), members, record.id);
}
