import { Migration } from '@mikro-orm/migrations';

/** Inbox management: encrypted provider secrets, archiving, and the inbox.* event types. */
export class Migration20261206034914 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`inbox\` add column \`provider_secrets\` json not null default '{}';`);
    this.addSql(`alter table \`inbox\` add column \`archived_at\` datetime null;`);
    // SQLite cannot alter a check constraint: the event table is rebuilt with the new event types (nothing references it).
    this.addSql(`create table \`event__new\` (\`id\` text not null, \`tenant_id\` text not null, \`seq\` bigint not null, \`type\` text check (\`type\` in ('message.added', 'message.status_changed', 'reaction.changed', 'conversation.created', 'conversation.assigned', 'conversation.read', 'conversation.closed', 'conversation.reopened', 'window.opened', 'window.shut', 'inbox.created', 'inbox.updated', 'inbox.archived', 'inbox.member_added', 'inbox.member_removed')) not null, \`inbox_id\` text null, \`conversation_id\` text null, \`message_id\` text null, \`actor_type\` text check (\`actor_type\` in ('user', 'customer', 'bot', 'system')) null, \`actor_id\` text null, \`causation_id\` text null, \`payload\` json not null, \`created_at\` datetime not null, constraint \`event_tenant_id_foreign\` foreign key(\`tenant_id\`) references \`tenant\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`insert into \`event__new\` select * from \`event\`;`);
    this.addSql(`drop table \`event\`;`);
    this.addSql(`alter table \`event__new\` rename to \`event\`;`);
    this.addSql(`create index \`event_tenant_id_index\` on \`event\` (\`tenant_id\`);`);
    this.addSql(`create index \`event_created_at_index\` on \`event\` (\`created_at\`);`);
    this.addSql(`create index \`event_conversation_id_seq_index\` on \`event\` (\`conversation_id\`, \`seq\`);`);
    this.addSql(`create index \`event_tenant_id_inbox_id_seq_index\` on \`event\` (\`tenant_id\`, \`inbox_id\`, \`seq\`);`);
    this.addSql(`create unique index \`event_tenant_id_seq_unique\` on \`event\` (\`tenant_id\`, \`seq\`);`);
  }
}
