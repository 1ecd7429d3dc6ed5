import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { Node } from '../node/node.interface';
import { Actor } from '../actor/actor.interface';
import { Tenant } from '../tenant/tenant.entity';

/** A customer. One contact may be reachable on several channels (see ContactIdentity). */
@Entity({ tableName: 'contact' })
@Index({ properties: ['tenantId', 'name'] })
@ObjectType('Contact', { implements: [Node, Actor], description: 'A customer, reachable through one or more channel identities.' })
export class Contact implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque contact id (`con_…`); refetch it with `node(id:)`.' })
  id: string = newId('contact');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @Property({ type: 'string', nullable: true })
  @Field(() => String, { nullable: true, description: 'Display name from the channel profile; null when the customer never gave one.' })
  name: string | null = null;

  @Property({ type: 'Date' })
  @Field({ description: 'When Switchboard first saw this customer.' })
  createdAt: Date = new Date();
}
