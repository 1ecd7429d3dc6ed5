import { Migration } from '@mikro-orm/migrations';

/** Agent reactions reaching providers: the reaction outbox and Reaction.deliveryError. */
export class Migration20261206064000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "reaction_outbox" ("message_id" varchar(40) not null, "actor_id" varchar(40) not null, "tenant_id" varchar(40) not null, "inbox_id" varchar(40) not null, "emoji" varchar(255) null, "version" int not null default 1, "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "last_error" text null, "failed_at" timestamptz null, constraint "reaction_outbox_pkey" primary key ("message_id", "actor_id"));`);
    this.addSql(`create index "reaction_outbox_failed_at_next_attempt_at_index" on "reaction_outbox" ("failed_at", "next_attempt_at");`);
    this.addSql(`alter table "reaction" add column "delivery_error" text null;`);
  }
}
