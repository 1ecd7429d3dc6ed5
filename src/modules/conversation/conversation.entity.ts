import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { ChannelKind } from '../channel/channel-kind';
import { Contact } from '../contact/contact.entity';
import { Inbox } from '../inbox/inbox.entity';
import { SenderType } from '../message/sender-type';
import { Node } from '../node/node.interface';
import { Tenant } from '../tenant/tenant.entity';
import { User } from '../user/user.entity';
import { ConversationStatus } from './conversation-status';

/**
 * A thread with one customer through one inbox. The "last message" columns are denormalised on
 * purpose: the inbox list shows them for 50 rows at a time and must not join the message table.
 * Every list filter has an index that ends in the keyset (last_activity_at, id).
 */
@Entity({ tableName: 'conversation' })
@Index({ properties: ['tenantId', 'lastActivityAt', 'id'] })
@Index({ properties: ['tenantId', 'inboxId', 'lastActivityAt', 'id'] })
@Index({ properties: ['tenantId', 'status', 'lastActivityAt', 'id'] })
@Index({ properties: ['tenantId', 'assigneeId', 'lastActivityAt', 'id'] })
@Index({ properties: ['tenantId', 'channel', 'lastActivityAt', 'id'] })
// One thread per customer and inbox: traffic either way continues (and reopens) it; concurrent first contacts retry on this.
@Unique({ properties: ['inboxId', 'contactId'] })
// The window scheduler's scan: an inbox's conversations whose last inbound falls in a time range.
@Index({ properties: ['inboxId', 'lastInboundAt'] })
@ObjectType('Conversation', { implements: Node, description: 'A thread with one customer through one inbox.' })
export class Conversation implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque conversation id (`cnv_…`); refetch it with `node(id:)` or `conversation(id:)`.' })
  id: string = newId('conversation');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Inbox, { mapToPk: true, fieldName: 'inbox_id', deleteRule: 'cascade' })
  inboxId!: string;

  @ManyToOne(() => Contact, { mapToPk: true, fieldName: 'contact_id', deleteRule: 'cascade', index: true })
  contactId!: string;

  @Enum({ items: () => ChannelKind })
  @Field(() => ChannelKind, { description: "The inbox's channel: it decides the window, limits and capabilities." })
  channel!: ChannelKind;

  @Property({ type: 'string' })
  @Field({ description: "The customer's address on the channel (E.164 phone number, platform user id, …)." })
  externalId!: string;

  @Property({ type: 'string', nullable: true })
  @Field(() => String, {
    nullable: true,
    description: "Title to show: the customer's name when known; null otherwise (show `externalId`).",
  })
  name: string | null = null;

  @Enum({ items: () => ConversationStatus })
  @Field(() => ConversationStatus, {
    description: 'OPEN while a session is active; CLOSED after closeConversation until the next message.',
  })
  status: ConversationStatus = ConversationStatus.OPEN;

  @ManyToOne(() => User, { mapToPk: true, fieldName: 'assignee_id', nullable: true, deleteRule: 'set null' })
  assigneeId: string | null = null;

  /** The active session while open; null once closed. */
  @Property({ type: 'string', length: 40, nullable: true })
  currentSessionId: string | null = null;

  @Property({ type: 'Date' })
  @Field({ description: 'When the conversation was started.' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', onUpdate: () => new Date() })
  @Field({ description: 'When anything stored on the conversation last changed (status, assignee, last message…).' })
  updatedAt: Date = new Date();

  /** Sort key of the inbox list: the last message time, or creation time before any message. */
  @Property({ type: 'Date' })
  @Field({ description: 'Newest activity: the last message time, or when the conversation was created.' })
  lastActivityAt: Date = new Date();

  @Property({ type: 'Date', nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the newest message was written; null before the first message.' })
  lastMessageAt: Date | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  lastMessageId: string | null = null;

  /** Exposed by ConversationResolver.lastMessagePreview, which needs conversation:read: it is message text. */
  @Property({ type: 'string', nullable: true })
  lastMessagePreview: string | null = null;

  @Enum({ items: () => SenderType, nullable: true })
  @Field(() => SenderType, { nullable: true, description: 'Who wrote the newest message; null before the first message.' })
  lastMessageSender: SenderType | null = null;

  /** Opens the customer-service window on windowed channels. */
  @Property({ type: 'Date', nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the customer last wrote; this opens the customer-service window.' })
  lastInboundAt: Date | null = null;

  /**
   * How many customer messages the conversation has had. With each teammate's read position in the
   * same unit (ReadMarker.readInboundCount), an unread count is one subtraction, whatever the
   * conversation's length.
   */
  @Property({ type: 'integer', default: 0 })
  inboundCount: Opt<number> = 0;
}
