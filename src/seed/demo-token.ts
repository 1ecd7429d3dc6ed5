import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import { authenticate } from '../modules/auth/auth.service';
import { ALL_SCOPES } from '../modules/auth/scopes';
import { issueToken } from '../modules/auth/token.service';
import { User } from '../modules/user/user.entity';
import { DEMO_OWNER_EMAIL } from './demo';

/**
 * The demo owner's token for the playground. Tokens are stored hashed, so the plaintext is kept in
 * the (git-ignored) data directory to print it again on the next start; a stale one (revoked, or
 * missing a scope added since) is replaced.
 */
export async function ensureDemoToken(em: EntityManager, dataDir: string): Promise<string | null> {
  const file = path.join(dataDir, 'demo-token');
  if (fs.existsSync(file)) {
    const saved = fs.readFileSync(file, 'utf8').trim();
    const viewer = saved ? await authenticate(em, saved) : null;
    // A token from before a scope existed (e.g. inbox:manage) would leave the playground unable to use it: replace it too.
    if (viewer && ALL_SCOPES.every((scope) => viewer.scopes.has(scope))) return saved;
  }
  const owner = await em.findOne(User, { email: DEMO_OWNER_EMAIL }, { orderBy: { createdAt: 'asc' } });
  if (!owner) return null;
  const { token } = await issueToken(em, { tenantId: owner.tenantId, userId: owner.id, name: 'demo playground' });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}
