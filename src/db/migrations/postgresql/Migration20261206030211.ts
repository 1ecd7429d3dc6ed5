import { Migration } from '@mikro-orm/migrations';

export class Migration20261206030211 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sandbox_callback" ("id" serial primary key, "inbox_id" varchar(40) not null, "message_id" varchar(40) not null, "channel_message_id" varchar(255) not null, "recipient" varchar(255) not null, "statuses" varchar(255) not null, "step" int not null default 0, "interval_ms" int not null default 0, "attempts" int not null default 0, "due_at" timestamptz null, "locked_until" timestamptz null, "claim_token" varchar(36) null, "accepted_at" timestamptz not null, "done_at" timestamptz null);`);
    this.addSql(`create index "sandbox_callback_due_at_index" on "sandbox_callback" ("due_at");`);
    this.addSql(`create index "sandbox_callback_locked_until_index" on "sandbox_callback" ("locked_until");`);
    this.addSql(`create index "sandbox_callback_done_at_index" on "sandbox_callback" ("done_at");`);
    this.addSql(`alter table "sandbox_callback" add constraint "sandbox_callback_inbox_id_message_id_unique" unique ("inbox_id", "message_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sandbox_callback" cascade;`);
  }

}
