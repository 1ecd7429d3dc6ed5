import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An inbox whose messages use a Media: media visibility follows these (an agent sees media used in
 * an inbox they belong to), so the primary key (media, inbox) serves the per-request loader's
 * `media_id in (…)` lookup. Written in the transaction of the message that uses the media.
 */
@Entity({ tableName: 'media_use' })
@Index({ properties: ['inboxId'] })
export class MediaUse {
  @PrimaryKey({ type: 'string', length: 40 })
  mediaId!: string;

  @PrimaryKey({ type: 'string', length: 40 })
  inboxId!: string;

  @Property({ type: 'string', length: 40 })
  tenantId!: string;

  @Property({ type: 'Date' })
  firstUsedAt: Date = new Date();
}
