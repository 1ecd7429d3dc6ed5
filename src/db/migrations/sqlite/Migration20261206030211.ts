import { Migration } from '@mikro-orm/migrations';

export class Migration20261206030211 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`sandbox_callback\` (\`id\` integer not null primary key autoincrement, \`inbox_id\` text not null, \`message_id\` text not null, \`channel_message_id\` text not null, \`recipient\` text not null, \`statuses\` text not null, \`step\` integer not null default 0, \`interval_ms\` integer not null default 0, \`attempts\` integer not null default 0, \`due_at\` datetime null, \`locked_until\` datetime null, \`claim_token\` text null, \`accepted_at\` datetime not null, \`done_at\` datetime null);`);
    this.addSql(`create index \`sandbox_callback_due_at_index\` on \`sandbox_callback\` (\`due_at\`);`);
    this.addSql(`create index \`sandbox_callback_locked_until_index\` on \`sandbox_callback\` (\`locked_until\`);`);
    this.addSql(`create index \`sandbox_callback_done_at_index\` on \`sandbox_callback\` (\`done_at\`);`);
    this.addSql(`create unique index \`sandbox_callback_inbox_id_message_id_unique\` on \`sandbox_callback\` (\`inbox_id\`, \`message_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`sandbox_callback\`;`);
  }

}
