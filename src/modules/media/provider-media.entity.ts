import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A provider's id for a file an inbox uploaded to it (WhatsApp Cloud media ids live 30 days), so
 * the same file is pushed once per inbox and not once per send. Rows past `expiresAt` are ignored
 * and replaced on the next upload.
 */
@Entity({ tableName: 'provider_media' })
export class ProviderMedia {
  @PrimaryKey({ type: 'string', length: 40 })
  inboxId!: string;

  @PrimaryKey({ type: 'string', length: 40 })
  mediaId!: string;

  @Property({ type: 'string', length: 255 })
  providerMediaId!: string;

  @Property({ type: 'Date' })
  expiresAt!: Date;
}
