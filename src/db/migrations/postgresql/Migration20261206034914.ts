import { Migration } from '@mikro-orm/migrations';

/** Inbox management: encrypted provider secrets, archiving, and the inbox.* event types. */
export class Migration20261206034914 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "inbox" add column "provider_secrets" jsonb not null default '{}', add column "archived_at" timestamptz null;`);
    this.addSql(`alter table "event" drop constraint if exists "event_type_check";`);
    this.addSql(`alter table "event" add constraint "event_type_check" check ("type" in ('message.added', 'message.status_changed', 'reaction.changed', 'conversation.created', 'conversation.assigned', 'conversation.read', 'conversation.closed', 'conversation.reopened', 'window.opened', 'window.shut', 'inbox.created', 'inbox.updated', 'inbox.archived', 'inbox.member_added', 'inbox.member_removed'));`);
  }
}
