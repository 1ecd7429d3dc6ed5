import { Migration } from '@mikro-orm/migrations';

/** Channels: provider-side media ids cached per inbox (WhatsApp Cloud uploads). */
export class Migration20261206060000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "provider_media" ("inbox_id" varchar(40) not null, "media_id" varchar(40) not null, "provider_media_id" varchar(255) not null, "expires_at" timestamptz not null, primary key ("inbox_id", "media_id"));`);
  }
}
