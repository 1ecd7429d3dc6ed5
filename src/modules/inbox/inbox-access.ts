import { Errors } from '../../lib/errors';
import { Scope } from '../auth/scopes';
import { TENANT_WIDE_ROLES, type Viewer } from '../auth/viewer';

/**
 * Inbox management needs the `inbox:manage` scope AND an owner or admin: tokens default to every
 * scope, so an agent's token may carry it; the role is what keeps agents out. FORBIDDEN otherwise.
 */
export function requireInboxManager(viewer: Viewer): void {
  viewer.requireScopes(Scope.INBOX_MANAGE);
  if (!TENANT_WIDE_ROLES.includes(viewer.role)) {
    throw Errors.forbidden('Only owners and admins manage inboxes.', { requiredRoles: TENANT_WIDE_ROLES.map((r) => r.toUpperCase()) });
  }
}
