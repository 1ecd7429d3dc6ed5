import { Entity, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { newId } from '../../lib/ids';
import { Conversation } from '../conversation/conversation.entity';
import { Tenant } from '../tenant/tenant.entity';
import { User } from '../user/user.entity';

/** How far one teammate has read a conversation. Only ever moves forward. */
@Entity({ tableName: 'read_marker' })
@Unique({ properties: ['conversationId', 'userId'] })
export class ReadMarker {
  @PrimaryKey({ type: 'string', length: 40 })
  id: string = newId('readMarker');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Conversation, { mapToPk: true, fieldName: 'conversation_id', deleteRule: 'cascade' })
  conversationId!: string;

  @ManyToOne(() => User, { mapToPk: true, fieldName: 'user_id', deleteRule: 'cascade', index: true })
  userId!: string;

  /** Message ids are time-sortable, so "unread" is "inbound with id greater than this". */
  @Property({ type: 'string', length: 40 })
  lastReadMessageId!: string;

  /**
   * Customer messages up to and including `lastReadMessageId` (the `inboundSeq` of the last one):
   * unread = Conversation.inboundCount − this, with no walk over the messages.
   */
  @Property({ type: 'integer', default: 0 })
  readInboundCount: Opt<number> = 0;

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
