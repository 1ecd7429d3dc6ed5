import { Migration } from '@mikro-orm/migrations';

/** Media visibility follows the messages that use it: which inboxes use each media (backfilled from media messages). */
export class Migration20261206034300 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`media_use\` (\`media_id\` text not null, \`inbox_id\` text not null, \`tenant_id\` text not null, \`first_used_at\` datetime not null, primary key (\`media_id\`, \`inbox_id\`));`,
    );
    this.addSql(`create index \`media_use_inbox_id_index\` on \`media_use\` (\`inbox_id\`);`);
    this.addSql(
      `insert or ignore into \`media_use\` (\`media_id\`, \`inbox_id\`, \`tenant_id\`, \`first_used_at\`) select json_extract(\`content\`, '$.mediaId'), \`inbox_id\`, \`tenant_id\`, min(\`created_at\`) from \`message\` where json_extract(\`content\`, '$.mediaId') is not null group by 1, 2, 3;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`media_use\`;`);
  }
}
