import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { Node } from '../node/node.interface';
import { Actor } from '../actor/actor.interface';
import { Tenant } from '../tenant/tenant.entity';
import { UserRole } from './user-role';

/** A person (agent) or an integration acting as one. */
@Entity({ tableName: 'app_user' })
@Unique({ properties: ['tenantId', 'email'] })
@ObjectType('User', { implements: [Node, Actor], description: 'A teammate who works the inbox.' })
export class User implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque user id (`usr_…`); pass it as `userId` to reassignConversation.' })
  id: string = newId('user');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @Property({ type: 'string' })
  @Field({ description: 'Display name shown to teammates and, on some channels, to customers.' })
  name!: string;

  @Property({ type: 'string' })
  @Field({ description: 'Login email address.' })
  email!: string;

  @Enum({ items: () => UserRole })
  @Field(() => UserRole, { description: 'What the user sees: the whole workspace (OWNER, ADMIN) or their inboxes (AGENT).' })
  role: UserRole = UserRole.AGENT;

  /** An automation acting through the API: its messages are BOT messages and bot window rules apply. */
  @Property({ type: 'boolean', default: false })
  @Field({ description: 'True for automations; their messages are sent as BOT and bot window rules apply.' })
  bot: boolean = false;

  /** Deactivated users keep their history but can no longer be assigned or authenticate. */
  @Property({ type: 'boolean', default: true })
  @Field({ description: 'False once deactivated: their tokens stop working and they cannot be assigned.' })
  active: boolean = true;

  @Property({ type: 'Date' })
  @Field({ description: 'When the user was added to the workspace.' })
  createdAt: Date = new Date();
}
