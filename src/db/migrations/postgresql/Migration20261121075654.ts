import { Migration } from '@mikro-orm/migrations';

export class Migration20261121075654 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "conversation_inbox_id_last_inbound_at_index" on "conversation" ("inbox_id", "last_inbound_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "conversation_inbox_id_last_inbound_at_index";`);
  }

}
