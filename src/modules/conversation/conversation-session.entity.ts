import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { Inbox } from '../inbox/inbox.entity';
import { Tenant } from '../tenant/tenant.entity';
import { Conversation } from './conversation.entity';

/**
 * One stretch of work on a conversation, from (re)opening to closing. Closing ends the active
 * session; the next inbound message or outbound send opens a new one.
 */
@Entity({ tableName: 'conversation_session' })
@Index({ properties: ['conversationId', 'openedAt'] })
@ObjectType('ConversationSession', { description: 'A stretch of work on a conversation, from opening to closing.' })
export class ConversationSession {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID)
  id: string = newId('session');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Conversation, { mapToPk: true, fieldName: 'conversation_id', deleteRule: 'cascade' })
  conversationId!: string;

  @ManyToOne(() => Inbox, { mapToPk: true, fieldName: 'inbox_id', deleteRule: 'cascade' })
  inboxId!: string;

  @Property({ type: 'Date' })
  @Field()
  openedAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  @Field(() => Date, { nullable: true })
  closedAt: Date | null = null;
}
