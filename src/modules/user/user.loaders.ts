import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import { User } from './user.entity';

/** Per-request user loaders (teammates of the viewer's tenant). */
export function createUserLoaders(em: EntityManager, viewer: Viewer) {
  return { user: byIdLoader(em, User, viewer.tenantId) };
}
