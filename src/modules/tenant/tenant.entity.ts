import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { Node } from '../node/node.interface';

/** A workspace: the isolation boundary. Nothing is ever visible across tenants. */
@Entity({ tableName: 'tenant' })
@ObjectType('Tenant', { implements: Node, description: 'A workspace. Every object belongs to exactly one.' })
export class Tenant implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque workspace id (`tn_…`).' })
  id: string = newId('tenant');

  @Property({ type: 'string' })
  @Field({ description: 'The workspace name (e.g. "Acme Demo").' })
  name!: string;

  /** Last event-log cursor handed out; bumped under the tenant row lock so cursors commit in order. */
  @Property({ type: 'bigint', default: 0 })
  eventSeq: string | number = 0;

  @Property({ type: 'Date' })
  @Field({ description: 'When the workspace was created.' })
  createdAt: Date = new Date();
}
