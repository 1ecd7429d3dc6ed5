import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Viewer } from '../auth/viewer';
import { MediaUse } from './media-use.entity';
import type { Media } from './media.entity';

/**
 * Records that messages of `inboxId` use these media (idempotent), in the caller's transaction,
 * so media visibility follows the messages that use it.
 */
export async function recordMediaUse(
  em: EntityManager,
  tenantId: string,
  inboxId: string,
  mediaIds: readonly string[],
  now = new Date(),
): Promise<void> {
  const unique = [...new Set(mediaIds)];
  if (!unique.length) return;
  await (em as SqlEntityManager)
    .createQueryBuilder(MediaUse)
    .insert(unique.map((mediaId) => ({ mediaId, inboxId, tenantId, firstUsedAt: now })))
    .onConflict(['mediaId', 'inboxId'])
    .ignore()
    .execute('run');
}

/**
 * Whether `viewer` may see `media`, given the inboxes whose messages use it: owners and admins see
 * all of their tenant's media; anyone sees what they uploaded; an agent sees media used in an
 * inbox they belong to. Unused media is therefore visible to its uploader, owners and admins only.
 */
export function mayViewMedia(viewer: Viewer, media: Pick<Media, 'tenantId' | 'uploadedById'>, usedInInboxIds: readonly string[]): boolean {
  if (media.tenantId !== viewer.tenantId) return false;
  if (viewer.seesWholeTenant || media.uploadedById === viewer.userId) return true;
  return usedInInboxIds.some((inboxId) => viewer.canSeeInbox(media.tenantId, inboxId));
}

/** The inboxes using each of `mediaIds` (one query). */
export async function mediaUsesOf(em: EntityManager, mediaIds: readonly string[]): Promise<Map<string, string[]>> {
  const uses = new Map<string, string[]>();
  if (!mediaIds.length) return uses;
  for (const use of await em.find(MediaUse, { mediaId: { $in: [...mediaIds] } })) {
    const list = uses.get(use.mediaId);
    if (list) list.push(use.inboxId);
    else uses.set(use.mediaId, [use.inboxId]);
  }
  return uses;
}
