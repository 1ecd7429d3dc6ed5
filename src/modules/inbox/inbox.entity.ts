import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { ChannelKind } from '../channel/channel-kind';
import { Node } from '../node/node.interface';
import { Tenant } from '../tenant/tenant.entity';

/**
 * A connected sender (a WhatsApp number, an SMS sender, a page…). Its channel kind decides the rules;
 * its provider decides who carries the traffic (`sandbox` simulates delivery for any kind).
 */
@Entity({ tableName: 'inbox' })
@Index({ properties: ['tenantId', 'name'] })
@ObjectType('Inbox', { implements: Node, description: 'A connected sender on one channel.' })
export class Inbox implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID)
  id: string = newId('inbox');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @Property({ type: 'string' })
  @Field()
  name!: string;

  @Enum({ items: () => ChannelKind })
  @Field(() => ChannelKind)
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

  /** Provider settings (sandbox latency, failure rate, webhook secret…); never exposed. */
  @Property({ type: 'json' })
  providerConfig: Record<string, unknown> = {};

  @Property({ type: 'Date' })
  @Field()
  createdAt: Date = new Date();
}
