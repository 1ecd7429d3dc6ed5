import { Migration } from '@mikro-orm/migrations';

/** Delivery rules (see the PostgreSQL migration of the same name). */
export class Migration20261206070000 extends Migration {
  override async up(): Promise<void> {
    this.addSql("alter table `outbox_entry` add column `conversation_id` text not null default '';");
    this.addSql('alter table `outbox_entry` add column `queued_at` datetime not null default 0;');
    this.addSql('alter table `outbox_entry` add column `deferrals` integer not null default 0;');
    this.addSql('alter table `outbox_entry` add column `throttle_slot_at` datetime null;');
    this.addSql('update `outbox_entry` set `conversation_id` = (select m.`conversation_id` from `message` m where m.`id` = `outbox_entry`.`message_id`), `queued_at` = (select m.`created_at` from `message` m where m.`id` = `outbox_entry`.`message_id`);');
    this.addSql('create index `outbox_entry_conversation_id_state_queued_at_message_id_index` on `outbox_entry` (`conversation_id`, `state`, `queued_at`, `message_id`);');
    this.addSql('create index `outbox_entry_inbox_id_state_index` on `outbox_entry` (`inbox_id`, `state`);');
    this.addSql('alter table `inbox` add column `sends_per_second` real null;');
    this.addSql('create table `send_throttle` (`key` text not null, `next_at` integer not null, primary key (`key`));');
  }
}
