import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { Conversation } from '../conversation/conversation.entity';
import { Message } from '../message/message.entity';
import { SenderType } from '../message/sender-type';
import { Node } from '../node/node.interface';
import { Tenant } from '../tenant/tenant.entity';

/** An emoji on a message. One per actor per message: a new emoji replaces the old, as on WhatsApp. */
@Entity({ tableName: 'reaction' })
@Unique({ properties: ['messageId', 'actorType', 'actorId'] })
@ObjectType('Reaction', { implements: Node, description: 'An emoji reaction; one per actor per message.' })
export class Reaction implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque reaction id (`rxn_…`); refetch it with `node(id:)`.' })
  id: string = newId('reaction');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => Message, { mapToPk: true, fieldName: 'message_id', deleteRule: 'cascade' })
  messageId!: string;

  @ManyToOne(() => Conversation, { mapToPk: true, fieldName: 'conversation_id', deleteRule: 'cascade', index: true })
  conversationId!: string;

  @Enum({ items: () => SenderType })
  @Field(() => SenderType, { description: 'Who reacted: a teammate (USER or BOT) or the CUSTOMER.' })
  actorType!: SenderType;

  /** A user id for USER/BOT reactions, a contact id for CUSTOMER reactions. */
  @Property({ type: 'string', length: 40 })
  actorId!: string;

  @Property({ type: 'string' })
  @Field({ description: 'The emoji (one grapheme: skin tones, ZWJ sequences and flags included).' })
  emoji!: string;

  @Property({ type: 'Date' })
  @Field({ description: 'When this emoji was set (a replaced reaction gets a new time).' })
  createdAt: Date = new Date();

  /** Set when the provider refused a teammate's reaction for good, or retries ran out (see reaction-delivery.ts). */
  @Property({ type: 'text', nullable: true })
  @Field(() => String, {
    nullable: true,
    description:
      "A teammate's reaction the customer will not see: why the provider refused it (e.g. an emoji Telegram bots cannot use). Null while it is on its way or once delivered, and for customer reactions.",
  })
  deliveryError: string | null = null;
}
