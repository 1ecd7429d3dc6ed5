import { Migration } from '@mikro-orm/migrations';

/**
 * Unread counts in O(1): customer messages are numbered per conversation (message.inbound_seq,
 * conversation.inbound_count) and read markers keep the number they reached. Existing rows are
 * numbered in id order (ids are time-sortable, as the old count assumed).
 */
export class Migration20261206060100 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "conversation" add column "inbound_count" int not null default 0;`);
    this.addSql(`alter table "message" add column "inbound_seq" int null;`);
    this.addSql(`alter table "read_marker" add column "read_inbound_count" int not null default 0;`);
    this.addSql(
      `update "message" m set "inbound_seq" = n.seq from (select "id", row_number() over (partition by "conversation_id" order by "id") as seq from "message" where "direction" = 'inbound') n where m."id" = n."id";`,
    );
    this.addSql(
      `update "conversation" c set "inbound_count" = n.cnt from (select "conversation_id", count(*) as cnt from "message" where "direction" = 'inbound' group by "conversation_id") n where c."id" = n."conversation_id";`,
    );
    this.addSql(
      `update "read_marker" r set "read_inbound_count" = coalesce((select max(m."inbound_seq") from "message" m where m."conversation_id" = r."conversation_id" and m."direction" = 'inbound' and m."id" <= r."last_read_message_id"), 0);`,
    );
  }
}
