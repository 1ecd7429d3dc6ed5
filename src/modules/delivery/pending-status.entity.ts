import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { DeliveryStatus } from '../message/delivery-status';

/**
 * A status callback that arrived before we stored the channel message id it refers to (providers
 * may call back before the send request returns). Applied as soon as the id is stored.
 */
@Entity({ tableName: 'pending_status' })
@Index({ properties: ['receivedAt'] })
@Index({ properties: ['inboxId', 'channelMessageId'] })
export class PendingStatus {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 40 })
  inboxId!: string;

  @Property({ type: 'string' })
  channelMessageId!: string;

  @Enum({ items: () => DeliveryStatus })
  status!: DeliveryStatus;

  @Property({ type: 'string', nullable: true })
  failureCode: string | null = null;

  @Property({ type: 'string', nullable: true })
  failureReason: string | null = null;

  @Property({ type: 'string' })
  providerEventId!: string;

  @Property({ type: 'Date' })
  occurredAt!: Date;

  @Property({ type: 'Date' })
  receivedAt: Date = new Date();
}
