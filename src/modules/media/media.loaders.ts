import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/core';
import type { Viewer } from '../auth/viewer';
import { mayViewMedia, mediaUsesOf } from './media-visibility';
import { Media } from './media.entity';

/**
 * Per-request media loaders. Media follows the messages that use it ({@link mayViewMedia}): one
 * query for the rows and, for viewers who do not see the whole tenant, one for their uses, whatever
 * the number of ids. The tenant is checked on the rows (see byIdLoader for why not in SQL).
 */
export function createMediaLoaders(em: EntityManager, viewer: Viewer) {
  return {
    media: new DataLoader<string, Media | null>(async (ids) => {
      const rows = (await em.find(Media, { id: { $in: [...ids] } })).filter((m) => m.tenantId === viewer.tenantId);
      const needUses = viewer.seesWholeTenant ? [] : rows.filter((m) => m.uploadedById !== viewer.userId).map((m) => m.id);
      const uses = await mediaUsesOf(em, needUses);
      const byId = new Map(rows.filter((m) => mayViewMedia(viewer, m, uses.get(m.id) ?? [])).map((m) => [m.id, m]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
