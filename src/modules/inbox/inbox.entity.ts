import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { ChannelKind } from '../channel/channel-kind';
import { Node } from '../node/node.interface';
import { Tenant } from '../tenant/tenant.entity';

/** One stored secret: the sealed value, and what may be shown of it. */
export interface StoredSecret {
  /** `sbenc:v1:…` envelope (see src/lib/secrets.ts). */
  sealed: string;
  /** Last 4 characters of a long secret (`…abcd`), or null. */
  hint: string | null;
}

/**
 * A connected sender (a WhatsApp number, an SMS sender, a page…). Its channel kind decides the rules;
 * its provider decides who carries the traffic (`sandbox` simulates delivery for any kind).
 */
@Entity({ tableName: 'inbox' })
@Index({ properties: ['tenantId', 'name'] })
@ObjectType('Inbox', { implements: Node, description: 'A connected sender on one channel.' })
export class Inbox implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque inbox id (`ibx_…`); refetch it with `node(id:)`.' })
  id: string = newId('inbox');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @Property({ type: 'string' })
  @Field({ description: 'Name teammates know the inbox by (e.g. "Support WhatsApp").' })
  name!: string;

  @Enum({ items: () => ChannelKind })
  @Field(() => ChannelKind, { description: 'The channel this inbox sends and receives on.' })
  channel!: ChannelKind;

  @Property({ type: 'string' })
  @Field({ description: 'Who carries the traffic: `sandbox` (built-in simulation) or a real provider.' })
  provider: string = 'sandbox';

  @Property({ type: 'string' })
  @Field({ description: 'The address customers see messages come from (a phone number, page id, …).' })
  senderAddress!: string;

  /** Per-inbox override of the channel's customer-service window, in hours. */
  @Property({ type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true, description: "Override of the channel's customer-service window, in hours." })
  windowHours: number | null = null;

  /** Per-inbox override of the human-agent window (Messenger/Instagram), in hours. */
  @Property({ type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true, description: 'Override of the human-agent window (Messenger, Instagram), in hours.' })
  humanAgentWindowHours: number | null = null;

  /**
   * Sends per second this inbox may make, below its provider's own limit (null: the provider's
   * limit, or none). Enforced by the delivery worker across every server (send-throttle.ts).
   */
  @Property({ type: 'float', nullable: true })
  sendsPerSecond: number | null = null;

  /** Provider settings that are not secret (sandbox latency, phone number id, base URL…); never exposed as is. */
  @Property({ type: 'json' })
  providerConfig: Record<string, unknown> = {};

  /**
   * Provider secrets (access tokens, app secrets), each sealed with AES-256-GCM (src/lib/secrets.ts)
   * beside a hint; write-only: decrypted only where adapters are built. Older inboxes may still
   * carry secrets in plain text in `providerConfig` until `npm run inbox -- rotate-secrets`.
   */
  @Property({ type: 'json', default: '{}' })
  providerSecrets: Record<string, StoredSecret> = {};

  /** Set when archived: the inbox sends nothing new, keeps its history and stays readable. */
  @Property({ type: 'Date', nullable: true })
  @Field(() => Date, {
    nullable: true,
    description: 'When the inbox was archived (it sends nothing new; its history stays); null while active.',
  })
  archivedAt: Date | null = null;

  @Property({ type: 'Date' })
  @Field({ description: 'When the inbox was connected.' })
  createdAt: Date = new Date();
}
