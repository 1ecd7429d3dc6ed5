import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { ChannelKind } from '../channel/channel-kind';
import { Tenant } from '../tenant/tenant.entity';
import { Contact } from './contact.entity';

/**
 * How a contact is reached on one channel: a normalised address (E.164 for phone-based channels).
 * Unique per tenant and channel, so a first-message send to a known address finds its contact.
 */
@Entity({ tableName: 'contact_identity' })
@Unique({ properties: ['tenantId', 'channel', 'address'] })
@ObjectType('ContactIdentity', { description: "A contact's address on one channel." })
export class ContactIdentity {
  @PrimaryKey({ type: 'string', length: 40 })
  id: string = newId('identity');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Contact, { mapToPk: true, fieldName: 'contact_id', deleteRule: 'cascade', index: true })
  contactId!: string;

  @Enum({ items: () => ChannelKind })
  @Field(() => ChannelKind, { description: 'The channel this address belongs to.' })
  channel!: ChannelKind;

  @Property({ type: 'string' })
  @Field({ description: 'Normalised address: E.164 for phone channels, the platform id otherwise.' })
  address!: string;

  @Property({ type: 'Date', nullable: true })
  @Field(() => Date, {
    nullable: true,
    description: 'When the customer opted out of messages at this address (replied STOP); null when they may be messaged.',
  })
  optedOutAt: Date | null = null;
}
