import { AppError, ErrorCode } from '../../lib/errors';
import type { Inbox } from './inbox.entity';

/** Why nothing new may go out of, or be changed on, an archived inbox: INBOX_ARCHIVED with its id and time. */
export function inboxArchived(inbox: Pick<Inbox, 'id' | 'name' | 'archivedAt'>, doing = 'sends nothing new'): AppError {
  return new AppError(ErrorCode.INBOX_ARCHIVED, `Inbox "${inbox.name}" (${inbox.id}) is archived: it ${doing}.`, {
    inboxId: inbox.id,
    archivedAt: inbox.archivedAt?.toISOString() ?? null,
  });
}

/** Refuses a send from an archived inbox. @throws AppError INBOX_ARCHIVED */
export function assertInboxSends(inbox: Pick<Inbox, 'id' | 'name' | 'archivedAt'>): void {
  if (inbox.archivedAt) throw inboxArchived(inbox);
}

/** The worker's failure for a message still pending when its inbox was archived. */
export const ARCHIVED_SEND_FAILURE = {
  kind: 'rejected',
  code: 'inbox_archived',
  reason: 'The inbox was archived before this message was sent; it was not sent.',
} as const;
