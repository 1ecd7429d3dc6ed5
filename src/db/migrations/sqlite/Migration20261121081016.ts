import { Migration } from '@mikro-orm/migrations';

export class Migration20261121081016 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index \`pending_status_received_at_index\` on \`pending_status\` (\`received_at\`);`);
    this.addSql(`create index \`webhook_receipt_received_at_index\` on \`webhook_receipt\` (\`received_at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index \`pending_status_received_at_index\`;`);
    this.addSql(`drop index \`webhook_receipt_received_at_index\`;`);
  }

}
