import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One sender's (or one sender-to-recipient pair's) throughput schedule, shared by every worker on
 * the database: `nextAt` is the theoretical arrival time of the next send (GCRA), in epoch
 * milliseconds so the slot arithmetic is the same plain integer maths on SQLite and PostgreSQL.
 * Written only by the atomic statements in send-throttle.ts.
 */
@Entity({ tableName: 'send_throttle' })
export class SendThrottle {
  /** `inbox:<inboxId>` or `inbox:<inboxId>:to:<recipient>`. */
  @PrimaryKey({ type: 'string', length: 255 })
  key!: string;

  @Property({ type: 'bigint' })
  nextAt!: number;
}
