import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { newId } from '../../lib/ids';

/** A provider event already ingested: makes webhook delivery idempotent by provider event id. */
@Entity({ tableName: 'webhook_receipt' })
@Index({ properties: ['receivedAt'] })
@Unique({ properties: ['inboxId', 'providerEventId'] })
export class WebhookReceipt {
  @PrimaryKey({ type: 'string', length: 40 })
  id: string = newId('webhook');

  @Property({ type: 'string', length: 40 })
  inboxId!: string;

  @Property({ type: 'string' })
  providerEventId!: string;

  @Property({ type: 'Date' })
  receivedAt: Date = new Date();
}
