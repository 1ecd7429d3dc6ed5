import { Migration } from '@mikro-orm/migrations';

/** Uncertain WhatsApp sends: the outbox remembers an unsettled attempt; parked statuses keep our message id. */
export class Migration20261206030200 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox_entry" add column "uncertain_since" timestamptz null;`);
    this.addSql(`alter table "pending_status" add column "message_id" varchar(40) null;`);
    this.addSql(`create index "pending_status_inbox_id_message_id_index" on "pending_status" ("inbox_id", "message_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "pending_status_inbox_id_message_id_index";`);
    this.addSql(`alter table "pending_status" drop column "message_id";`);
    this.addSql(`alter table "outbox_entry" drop column "uncertain_since";`);
  }
}
