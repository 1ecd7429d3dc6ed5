import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * One message the sandbox provider accepted, with the status callbacks it still owes for it.
 * Written before the provider answers the send, so a crash can lose neither the acceptance (a
 * resend is answered as a duplicate) nor a callback (the next process posts it).
 *
 * Callbacks go out one at a time, in order: `statuses[step]` is due at `dueAt`; a claimer holds
 * the row until `lockedUntil` under `claimToken`. When the last one is posted the row is done
 * (`dueAt` null, `doneAt` set) and stays as the provider's memory of the message until retention.
 */
@Entity({ tableName: 'sandbox_callback' })
@Unique({ properties: ['inboxId', 'messageId'] })
@Index({ properties: ['dueAt'] })
@Index({ properties: ['lockedUntil'] })
@Index({ properties: ['doneAt'] })
export class SandboxCallback {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 40 })
  inboxId!: string;

  /** Our message id: the sandbox's idempotency key. */
  @Property({ type: 'string', length: 40 })
  messageId!: string;

  @Property({ type: 'string' })
  channelMessageId!: string;

  @Property({ type: 'string' })
  recipient!: string;

  /** The statuses to report, in order, as wire names joined by commas (e.g. `sent,delivered,read`). */
  @Property({ type: 'string' })
  statuses!: string;

  /** Index into `statuses` of the next callback. */
  @Property({ type: 'integer' })
  step: number = 0;

  /** Delay between one callback and the next (the inbox's simulated latency when it was accepted). */
  @Property({ type: 'integer' })
  intervalMs: number = 0;

  /** Failed POSTs of the current step. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** When the next callback is due; null once every callback was posted. */
  @Property({ type: 'Date', nullable: true })
  dueAt: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  lockedUntil: Date | null = null;

  @Property({ type: 'string', length: 36, nullable: true })
  claimToken: string | null = null;

  @Property({ type: 'Date' })
  acceptedAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  doneAt: Date | null = null;
}
