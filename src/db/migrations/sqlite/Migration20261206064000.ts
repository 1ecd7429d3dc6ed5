import { Migration } from '@mikro-orm/migrations';

/** Agent reactions reaching providers: the reaction outbox and Reaction.deliveryError. */
export class Migration20261206064000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table `reaction_outbox` (`message_id` text not null, `actor_id` text not null, `tenant_id` text not null, `inbox_id` text not null, `emoji` text null, `version` integer not null default 1, `attempts` integer not null default 0, `next_attempt_at` datetime not null, `last_error` text null, `failed_at` datetime null, primary key (`message_id`, `actor_id`));');
    this.addSql('create index `reaction_outbox_failed_at_next_attempt_at_index` on `reaction_outbox` (`failed_at`, `next_attempt_at`);');
    this.addSql('alter table `reaction` add column `delivery_error` text null;');
  }
}
