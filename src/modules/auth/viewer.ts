import { Errors } from '../../lib/errors';
import { SenderType } from '../message/sender-type';
import type { User } from '../user/user.entity';
import { UserRole } from '../user/user-role';
import { WindowActorKind } from '../window/window.types';
import type { Scope } from './scopes';

/**
 * Who is asking, resolved once per request (or per websocket connection). Every authorisation
 * decision goes through here: scopes, role, tenant and inbox visibility.
 */
export class Viewer {
  constructor(
    readonly user: User,
    readonly scopes: ReadonlySet<Scope>,
    /** Inboxes an agent is a member of; null for owners and admins, who see the whole tenant. */
    private readonly memberInboxIds: ReadonlySet<string> | null,
    readonly tokenId: string,
  ) {}

  get tenantId(): string {
    return this.user.tenantId;
  }

  get userId(): string {
    return this.user.id;
  }

  get role(): UserRole {
    return this.user.role;
  }

  /** How this viewer's messages are attributed and which window rules apply to them. */
  get senderType(): SenderType.USER | SenderType.BOT {
    return this.user.bot ? SenderType.BOT : SenderType.USER;
  }

  /** Which window rules apply to this viewer's sends: bots are held to the standard window, people may get a longer one. */
  get windowActor(): WindowActorKind {
    return this.user.bot ? WindowActorKind.BOT : WindowActorKind.USER;
  }

  get seesWholeTenant(): boolean {
    return this.memberInboxIds === null;
  }

  /** Throws FORBIDDEN naming the missing scopes. */
  requireScopes(...scopes: Scope[]): void {
    const missing = scopes.filter((s) => !this.scopes.has(s));
    if (missing.length) {
      throw Errors.forbidden(`This token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, {
        missingScopes: missing,
      });
    }
  }

  /** Whether the viewer may see things in this inbox of this tenant. */
  canSeeInbox(tenantId: string, inboxId: string): boolean {
    if (tenantId !== this.tenantId) return false;
    return this.memberInboxIds === null || this.memberInboxIds.has(inboxId);
  }

  /** Inbox ids to restrict list queries to; null means "all of the tenant". */
  visibleInboxIds(): string[] | null {
    return this.memberInboxIds === null ? null : [...this.memberInboxIds];
  }
}

/** Roles that see every inbox of their tenant. */
export const TENANT_WIDE_ROLES: readonly UserRole[] = [UserRole.OWNER, UserRole.ADMIN];
