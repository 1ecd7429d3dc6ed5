import { Migration } from '@mikro-orm/migrations';

/** Media visibility follows the messages that use it: which inboxes use each media (backfilled from media messages). */
export class Migration20261206034300 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "media_use" ("media_id" varchar(40) not null, "inbox_id" varchar(40) not null, "tenant_id" varchar(40) not null, "first_used_at" timestamptz not null, constraint "media_use_pkey" primary key ("media_id", "inbox_id"));`,
    );
    this.addSql(`create index "media_use_inbox_id_index" on "media_use" ("inbox_id");`);
    this.addSql(
      `insert into "media_use" ("media_id", "inbox_id", "tenant_id", "first_used_at") select "content"->>'mediaId', "inbox_id", "tenant_id", min("created_at") from "message" where "content"->>'mediaId' is not null group by 1, 2, 3 on conflict do nothing;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "media_use" cascade;`);
  }
}
