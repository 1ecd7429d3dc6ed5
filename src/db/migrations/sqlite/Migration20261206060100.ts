import { Migration } from '@mikro-orm/migrations';

/**
 * Unread counts in O(1): customer messages are numbered per conversation (message.inbound_seq,
 * conversation.inbound_count) and read markers keep the number they reached. Existing rows are
 * numbered in id order (ids are time-sortable, as the old count assumed).
 */
export class Migration20261206060100 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "conversation" add column "inbound_count" integer not null default 0;`);
    this.addSql(`alter table "message" add column "inbound_seq" integer null;`);
    this.addSql(`alter table "read_marker" add column "read_inbound_count" integer not null default 0;`);
    this.addSql(
      `update "message" set "inbound_seq" = (select n.seq from (select "id", row_number() over (partition by "conversation_id" order by "id") as seq from "message" where "direction" = 'inbound') n where n."id" = "message"."id") where "direction" = 'inbound';`,
    );
    this.addSql(
      `update "conversation" set "inbound_count" = (select count(*) from "message" m where m."conversation_id" = "conversation"."id" and m."direction" = 'inbound');`,
    );
    this.addSql(
      `update "read_marker" set "read_inbound_count" = coalesce((select max(m."inbound_seq") from "message" m where m."conversation_id" = "read_marker"."conversation_id" and m."direction" = 'inbound' and m."id" <= "read_marker"."last_read_message_id"), 0);`,
    );
  }
}
