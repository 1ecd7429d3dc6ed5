import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Tenant } from '../tenant/tenant.entity';

/**
 * Remembers a client's idempotency key for an operation: the hash of the request it came with and
 * the id of what it produced. The unique key makes parallel duplicates collapse into one.
 */
@Entity({ tableName: 'idempotency_record' })
@Unique({ properties: ['tenantId', 'operation', 'key'] })
@Index({ properties: ['expiresAt'] })
export class IdempotencyRecord {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  /** e.g. `sendMessage`, `uploadMedia`. */
  @Property({ type: 'string' })
  operation!: string;

  @Property({ type: 'string' })
  key!: string;

  /** SHA-256 of the canonical request payload; another payload under the same key is a conflict. */
  @Property({ type: 'string', length: 64 })
  requestHash!: string;

  /** Id of the message/media the first request produced. */
  @Property({ type: 'string', length: 40 })
  resultId!: string;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date' })
  expiresAt!: Date;
}
