import { Migration } from '@mikro-orm/migrations';

/**
 * Delivery rules: outbox entries know their conversation and place in its send order (one send at
 * a time per conversation, checked by the claim through the new index), throttled claims are not
 * counted against the attempt budget, inboxes may lower their provider's send rate, and the
 * per-sender/per-recipient send schedules live in `send_throttle`.
 */
export class Migration20261206070000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox_entry" add column "conversation_id" varchar(40) null, add column "queued_at" timestamptz null, add column "deferrals" int not null default 0, add column "throttle_slot_at" timestamptz null;`);
    this.addSql(`update "outbox_entry" o set "conversation_id" = m."conversation_id", "queued_at" = m."created_at" from "message" m where m."id" = o."message_id";`);
    this.addSql(`alter table "outbox_entry" alter column "conversation_id" set not null, alter column "queued_at" set not null;`);
    this.addSql(`create index "outbox_entry_conversation_id_state_queued_at_message_id_index" on "outbox_entry" ("conversation_id", "state", "queued_at", "message_id");`);
    this.addSql(`create index "outbox_entry_inbox_id_state_index" on "outbox_entry" ("inbox_id", "state");`);
    this.addSql(`alter table "inbox" add column "sends_per_second" real null;`);
    this.addSql(`create table "send_throttle" ("key" varchar(255) not null, "next_at" bigint not null, constraint "send_throttle_pkey" primary key ("key"));`);
  }
}
