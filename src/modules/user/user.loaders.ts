import type { EntityManager } from '@mikro-orm/core';
import { byIdLoader } from '../../graphql/loader-kit';
import type { Viewer } from '../auth/viewer';
import type { LoaderOptions } from '../../graphql/loaders';
import { User } from './user.entity';

/** Per-request user loaders (teammates of the viewer's tenant). */
export function createUserLoaders(em: EntityManager, viewer: Viewer, options: LoaderOptions = {}) {
  // Read models: nothing modifies a user it got from this loader (membership changes go by id).
  return { user: byIdLoader(em, User, viewer.tenantId, undefined, options.entityReads ? 'entities' : 'readModels') };
}
