import { Migration } from '@mikro-orm/migrations';

/**
 * One conversation per (inbox, contact): inbound traffic and sends both continue (and reopen) that
 * one thread, and the unique index holds it under concurrency (a racing second insert fails and
 * the transaction is retried). Duplicates left by older versions are not merged blindly (their
 * messages, sessions, read markers and events would have to move): the migration stops and names
 * them, so an operator can merge or delete them first. A fresh database has none.
 */
export class Migration20261206073000 extends Migration {
  override async up(): Promise<void> {
    const duplicates = await this.execute(
      `select "inbox_id", "contact_id", count(*)::int as "n" from "conversation" group by "inbox_id", "contact_id" having count(*) > 1 limit 20;`,
    );
    if (duplicates.length) {
      const list = duplicates.map((d) => `inbox ${d.inbox_id} / contact ${d.contact_id} (${d.n})`).join(', ');
      throw new Error(
        `Migration20261206073000: conversations must be one per (inbox, contact), but these pairs have several: ${list}. Merge or delete the extra conversations, then migrate again.`,
      );
    }
    this.addSql(`drop index "conversation_inbox_id_contact_id_status_index";`);
    this.addSql(`alter table "conversation" add constraint "conversation_inbox_id_contact_id_unique" unique ("inbox_id", "contact_id");`);
  }
}
