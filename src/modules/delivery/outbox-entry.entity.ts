import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { newId } from '../../lib/ids';
import { Message } from '../message/message.entity';
import { Tenant } from '../tenant/tenant.entity';

export enum OutboxState {
  PENDING = 'pending',
  DONE = 'done',
  FAILED = 'failed',
}

/**
 * A message waiting to be handed to its provider, written in the same transaction as the message.
 * Workers claim due entries with a lease (`lockedUntil`), so a crashed worker's entries come back.
 */
@Entity({ tableName: 'outbox_entry' })
@Unique({ properties: ['messageId'] })
@Index({ properties: ['state', 'nextAttemptAt'] })
// The claim's per-conversation order check ("an earlier PENDING entry of this conversation?") and
// a rate-limit pause of one inbox's waiting entries are both index range reads.
@Index({ properties: ['conversationId', 'state', 'queuedAt', 'messageId'] })
@Index({ properties: ['inboxId', 'state'] })
export class OutboxEntry {
  @PrimaryKey({ type: 'string', length: 40 })
  id: string = newId('outbox');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Message, { mapToPk: true, fieldName: 'message_id', deleteRule: 'cascade' })
  messageId!: string;

  @Property({ type: 'string', length: 40 })
  inboxId!: string;

  /** The message's conversation: its outbound messages reach the provider one after the other. */
  @Property({ type: 'string', length: 40 })
  conversationId!: string;

  /**
   * Place in the conversation's send order, with `messageId` breaking ties: the message's
   * `createdAt`, or the moment of an explicit retry (a retried message goes to the back of the
   * queue rather than cutting in front of messages sent after it failed).
   */
  @Property({ type: 'Date' })
  queuedAt: Date = new Date();

  @Enum({ items: () => OutboxState })
  state: OutboxState = OutboxState.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  /**
   * Claims that went back unsent because the sender's throughput limit had no slot yet. They are
   * part of `attempts` (the fencing token never goes back) but not of the attempt budget.
   */
  @Property({ type: 'integer', default: 0 })
  deferrals: number = 0;

  /**
   * A throughput slot this entry already reserved (it was deferred until then): the claim at or
   * after it sends without reserving another. Cleared by any outcome and by a rate-limit pause.
   */
  @Property({ type: 'Date', nullable: true })
  throttleSlotAt: Date | null = null;

  @Property({ type: 'Date' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  lockedUntil: Date | null = null;

  @Property({ type: 'string', nullable: true })
  lastError: string | null = null;

  /**
   * Set while the last attempt's outcome is unknown (the provider may have accepted it) and the
   * provider has no idempotency key: when that attempt began. The entry is due again only once the
   * settle window has passed; a status callback carrying our message id closes it first.
   */
  @Property({ type: 'Date', nullable: true })
  uncertainSince: Date | null = null;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
