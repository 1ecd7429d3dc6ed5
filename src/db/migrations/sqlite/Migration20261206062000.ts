import { Migration } from '@mikro-orm/migrations';

/** Opt-outs: when a customer replied STOP at an address (sends to them are refused until START). */
export class Migration20261206062000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`contact_identity\` add column \`opted_out_at\` datetime null;`);
  }
}
