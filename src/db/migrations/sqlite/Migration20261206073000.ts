import { Migration } from '@mikro-orm/migrations';

/** One conversation per (inbox, contact) (see the PostgreSQL migration of the same name). */
export class Migration20261206073000 extends Migration {
  override async up(): Promise<void> {
    const duplicates = await this.execute(
      'select `inbox_id`, `contact_id`, count(*) as `n` from `conversation` group by `inbox_id`, `contact_id` having count(*) > 1 limit 20;',
    );
    if (duplicates.length) {
      const list = duplicates.map((d) => `inbox ${d.inbox_id} / contact ${d.contact_id} (${d.n})`).join(', ');
      throw new Error(
        `Migration20261206073000: conversations must be one per (inbox, contact), but these pairs have several: ${list}. Merge or delete the extra conversations, then migrate again.`,
      );
    }
    this.addSql('drop index `conversation_inbox_id_contact_id_status_index`;');
    this.addSql('create unique index `conversation_inbox_id_contact_id_unique` on `conversation` (`inbox_id`, `contact_id`);');
  }
}
