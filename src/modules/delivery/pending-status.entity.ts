import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { DeliveryStatus } from '../message/delivery-status';

/**
 * A status callback that arrived before we stored the channel message id it refers to (providers
 * may call back before the send request returns) and named none of our messages by id either.
 * Applied as soon as either id becomes known.
 */
@Entity({ tableName: 'pending_status' })
@Index({ properties: ['receivedAt'] })
@Index({ properties: ['inboxId', 'channelMessageId'] })
@Index({ properties: ['inboxId', 'messageId'] })
export class PendingStatus {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 40 })
  inboxId!: string;

  @Property({ type: 'string' })
  channelMessageId!: string;

  /** Our message id as the provider echoed it (WhatsApp `biz_opaque_callback_data`), when it did. */
  @Property({ type: 'string', length: 40, nullable: true })
  messageId: string | null = null;

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
