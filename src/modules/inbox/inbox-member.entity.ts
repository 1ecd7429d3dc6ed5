import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Inbox } from './inbox.entity';
import { Tenant } from '../tenant/tenant.entity';
import { User } from '../user/user.entity';

/** Membership decides what an agent sees: the conversations of the inboxes they belong to. */
@Entity({ tableName: 'inbox_member' })
@Unique({ properties: ['userId', 'inboxId'] })
export class InboxMember {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Inbox, { mapToPk: true, fieldName: 'inbox_id', deleteRule: 'cascade', index: true })
  inboxId!: string;

  @ManyToOne(() => User, { mapToPk: true, fieldName: 'user_id', deleteRule: 'cascade' })
  userId!: string;

  @Property({ type: 'Date' })
  createdAt: Date = new Date();
}
