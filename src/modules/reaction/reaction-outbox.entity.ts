import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A teammate's reaction (or its removal) owed to the provider, written in the transaction that
 * changed the reaction. One row per message and actor holds the latest wish: reacting again before
 * it went out replaces the emoji and bumps `version`, so only the last one is delivered and a
 * delivery that finishes late does not clear a newer wish. Deleted once the provider took it; kept
 * with `failedAt` when it never will (the Reaction shows `deliveryError`).
 */
@Entity({ tableName: 'reaction_outbox' })
@Index({ properties: ['failedAt', 'nextAttemptAt'] })
export class ReactionOutbox {
  @PrimaryKey({ type: 'string', length: 40 })
  messageId!: string;

  @PrimaryKey({ type: 'string', length: 40 })
  actorId!: string;

  @Property({ type: 'string', length: 40 })
  tenantId!: string;

  @Property({ type: 'string', length: 40 })
  inboxId!: string;

  /** The emoji to show, or null to take the reaction back. */
  @Property({ type: 'string', nullable: true })
  emoji: string | null = null;

  @Property({ type: 'integer' })
  version: number = 1;

  @Property({ type: 'integer' })
  attempts: number = 0;

  /** Due from then; a claiming worker pushes it past its lease so another leaves the row alone. */
  @Property({ type: 'Date' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'Date', nullable: true })
  failedAt: Date | null = null;
}
