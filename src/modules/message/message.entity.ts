import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { Conversation } from '../conversation/conversation.entity';
import { Inbox } from '../inbox/inbox.entity';
import { Node } from '../node/node.interface';
import { Tenant } from '../tenant/tenant.entity';
import { User } from '../user/user.entity';
import { ContentKind } from './content-kind';
import { DeliveryStatus } from './delivery-status';
import type { StoredContent } from './message-content';
import { MessageDirection, SenderType } from './sender-type';

/** One entry of a message's delivery history. */
export interface StatusChange {
  status: DeliveryStatus;
  at: string;
  failureCode?: string | null;
  failureReason?: string | null;
}

/**
 * One Message model for every channel and every content variant. Ids are time-sortable, so the
 * conversation view pages on (conversation_id, id) alone.
 */
@Entity({ tableName: 'message' })
@Index({ properties: ['conversationId', 'id'] })
@Index({ properties: ['senderUserId', 'conversationId'] })
@Unique({ properties: ['inboxId', 'channelMessageId'] })
@ObjectType('Message', { implements: Node, description: 'A message in a conversation, on any channel.' })
export class Message implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque message id (`msg_…`), time-sortable; refetch it with `node(id:)` or `message(id:)`.' })
  id: string = newId('message');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Conversation, { mapToPk: true, fieldName: 'conversation_id', deleteRule: 'cascade' })
  conversationId!: string;

  /**
   * Invariant: always the conversation's inbox (`conversation.inboxId`): a conversation is served by
   * exactly one inbox, so every message in it, sent or received, belongs to that inbox. It is stored
   * (not joined) so provider lookups (`inboxId` + `channelMessageId`) and event scoping need no join;
   * visibility is still decided by the conversation's inbox (message.loaders.ts).
   */
  @ManyToOne(() => Inbox, { mapToPk: true, fieldName: 'inbox_id', deleteRule: 'cascade' })
  inboxId!: string;

  @Property({ type: 'string', length: 40, nullable: true })
  sessionId: string | null = null;

  @Enum({ items: () => MessageDirection })
  @Field(() => MessageDirection, { description: 'From the customer, to the customer, or an internal note.' })
  direction!: MessageDirection;

  @Enum({ items: () => SenderType })
  @Field(() => SenderType, { description: 'What kind of author wrote it; `sender` is the author itself.' })
  senderType!: SenderType;

  /** The teammate who wrote it, when senderType is USER. */
  @ManyToOne(() => User, { mapToPk: true, fieldName: 'sender_user_id', nullable: true, deleteRule: 'set null' })
  senderUserId: string | null = null;

  @Enum({ items: () => ContentKind })
  @Field(() => ContentKind, { description: 'Which variant `content` is (readable without conversation:read).' })
  contentKind!: ContentKind;

  @Property({ type: 'json' })
  content!: StoredContent;

  /** Null for inbound messages and internal notes: only outbound messages are delivered. */
  @Enum({ items: () => DeliveryStatus, nullable: true })
  @Field(() => DeliveryStatus, { nullable: true, description: 'Outbound only: where the message is on its way.' })
  deliveryStatus: DeliveryStatus | null = null;

  @Property({ type: 'string', nullable: true })
  failureCode: string | null = null;

  @Property({ type: 'string', nullable: true })
  failureReason: string | null = null;

  @Property({ type: 'string', nullable: true })
  @Field(() => String, { nullable: true, description: "The provider's id for this message (e.g. a wamid)." })
  channelMessageId: string | null = null;

  @Property({ type: 'string', nullable: true })
  @Field(() => String, { nullable: true, description: 'The id the sending client chose, echoed for optimistic UIs.' })
  clientMessageId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  replyToId: string | null = null;

  /** Inbound messages only: 1 for the conversation's first customer message, 2 for the next… (see Conversation.inboundCount). */
  @Property({ type: 'integer', nullable: true })
  inboundSeq: number | null = null;

  @Property({ type: 'json' })
  statusHistory: StatusChange[] = [];

  @Property({ type: 'Date', nullable: true })
  @Field(() => Date, { nullable: true, description: 'When `deliveryStatus` last changed; null for inbound messages and notes.' })
  lastStatusAt: Date | null = null;

  @Property({ type: 'Date' })
  @Field({ description: 'When Switchboard stored the message (inbound: when it was received).' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', onUpdate: () => new Date() })
  @Field({ description: 'When anything stored on the message last changed (delivery status, failure…).' })
  updatedAt: Date = new Date();
}
