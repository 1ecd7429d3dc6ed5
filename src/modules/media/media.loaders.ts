import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { Media } from './media.entity';

/** Per-request media loaders; uploads are shared by the whole tenant (any inbox may send them). */
export function createMediaLoaders(em: EntityManager, viewer: Viewer) {
  return { media: byIdLoader(em, Media, viewer.tenantId) };
}
