import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../../lib/ids';
import { MediaKind } from '../message/content-kind';
import { Node } from '../node/node.interface';
import { Tenant } from '../tenant/tenant.entity';
import { User } from '../user/user.entity';

/** An uploaded file, stored once and referenced by media messages. MIME type comes from the bytes. */
@Entity({ tableName: 'media' })
@Unique({ properties: ['tenantId', 'idempotencyKey'] })
@ObjectType('Media', { implements: Node, description: 'An uploaded file, ready to be sent in a media message.' })
export class Media implements Node {
  @PrimaryKey({ type: 'string', length: 40 })
  @Field(() => ID, { description: 'Opaque media id (`mda_…`): pass it as `mediaId` in a media message.' })
  id: string = newId('media');

  @ManyToOne(() => Tenant, { mapToPk: true, fieldName: 'tenant_id', deleteRule: 'cascade' })
  tenantId!: string;

  @ManyToOne(() => User, { mapToPk: true, fieldName: 'uploaded_by_id', nullable: true, deleteRule: 'set null' })
  uploadedById: string | null = null;

  @Enum({ items: () => MediaKind })
  @Field(() => MediaKind, { description: 'What the file is, decided from its sniffed type.' })
  mediaKind!: MediaKind;

  @Property({ type: 'string' })
  @Field({ description: 'Sniffed from the bytes; the client-declared type is not trusted.' })
  mimeType!: string;

  @Property({ type: 'string' })
  @Field({ description: 'The file name the client uploaded it with (folders and control characters removed; `upload` when none).' })
  filename!: string;

  @Property({ type: 'bigint' })
  @Field(() => Int, { description: 'Size in bytes.' })
  size!: number;

  @Property({ type: 'string', length: 64 })
  @Field({ description: 'SHA-256 of the bytes, hex.' })
  sha256!: string;

  /** Where the storage backend keeps the bytes. */
  @Property({ type: 'string' })
  storageKey!: string;

  @Property({ type: 'string', nullable: true })
  idempotencyKey: string | null = null;

  @Property({ type: 'Date' })
  @Field({ description: 'When the upload completed.' })
  createdAt: Date = new Date();
}
