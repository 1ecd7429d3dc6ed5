import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { newId } from '../../lib/ids';
import { SenderType } from '../message/sender-type';
import { Tenant } from '../tenant/tenant.entity';
import { EventType } from './event-type';

/**
 * One entry of a tenant's ordered event log, appended in the same transaction as the change it
 * records. `seq` is the resumable cursor: strictly increasing per tenant and committed in order,
 * because it is taken from the tenant row under that row's write lock.
 */
@Entity({ tableName: 'event' })
@Unique({ properties: ['tenantId', 'seq'] })
@Index({ properties: ['tenantId', 'inboxId', 'seq'] })
@Index({ properties: ['conversationId', 'seq'] })
@Index({ properties: ['createdAt'] })
export class DomainEvent {
  @PrimaryKey({ type: 'string', length: 40 })
  id: string = newId('event');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  /** Per-tenant cursor (bigint; kept as a number while below 2^53). */
  @Property({ type: 'bigint' })
  seq!: number;

  @Enum({ items: () => EventType })
  type!: EventType;

  @Property({ type: 'string', length: 40, nullable: true })
  inboxId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  conversationId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  messageId: string | null = null;

  @Enum({ items: () => SenderType, nullable: true })
  actorType: SenderType | null = null;

  /** User id, contact id, or null for the system. */
  @Property({ type: 'string', length: 40, nullable: true })
  actorId: string | null = null;

  /** What caused it: the client message id of a send, a provider event id, an idempotency key… */
  @Property({ type: 'string', nullable: true })
  causationId: string | null = null;

  /** Small, serialisable details (e.g. from/to status); never whole entities. */
  @Property({ type: 'json' })
  payload: Record<string, unknown> = {};

  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
