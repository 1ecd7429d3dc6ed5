import { buffer as readAll } from 'node:stream/consumers';
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { AdapterInbox, AdapterMedia, AdapterMediaFile } from '../../channels/channel-adapter';
import type { Database } from '../../db/orm';
import type { MediaStorage } from '../../storage/media-storage';
import { mediaUrlFor } from './media-url';
import { Media } from './media.entity';
import { ProviderMedia } from './provider-media.entity';

/** What {@link adapterMediaFor} builds on: the server's database, media store and URL signing. */
export interface AdapterMediaDeps {
  db: Database;
  storage: MediaStorage;
  signingSecret: string;
  /** How long a URL handed to a provider stays valid (providers fetch MMS media within minutes). */
  urlTtlSeconds: number;
  /** The origin providers reach this server at (PUBLIC_URL, else the listening origin). */
  publicOrigin(): string;
}

/**
 * The media an adapter of `inbox` may use: its tenant's uploads (read from storage), signed public
 * URLs for providers that fetch by URL, and the per-inbox cache of provider media ids.
 */
export function adapterMediaFor(deps: AdapterMediaDeps, inbox: Pick<AdapterInbox, 'id' | 'tenantId'>): AdapterMedia {
  return {
    async file(mediaId: string): Promise<AdapterMediaFile | null> {
      const media = await deps.db.em.fork().findOne(Media, { id: mediaId, tenantId: inbox.tenantId });
      if (!media) return null;
      const open = async () => {
        const stream = await deps.storage.get(media.storageKey);
        if (!stream) throw new Error(`The bytes of media ${media.id} are missing from storage.`);
        return stream;
      };
      return {
        id: media.id,
        mimeType: media.mimeType,
        filename: media.filename,
        size: Number(media.size),
        sha256: media.sha256,
        open,
        read: async () => readAll(await open()),
      };
    },
    publicUrl(mediaId: string): string {
      return `${deps.publicOrigin()}${mediaUrlFor(deps.signingSecret, deps.urlTtlSeconds, mediaId)}`;
    },
    async cachedProviderId(mediaId: string): Promise<string | null> {
      const row = await deps.db.em.fork().findOne(ProviderMedia, { inboxId: inbox.id, mediaId, expiresAt: { $gt: new Date() } });
      return row?.providerMediaId ?? null;
    },
    async rememberProviderId(mediaId: string, providerMediaId: string, expiresAt: Date): Promise<void> {
      await (deps.db.em.fork() as SqlEntityManager)
        .createQueryBuilder(ProviderMedia)
        .insert({ inboxId: inbox.id, mediaId, providerMediaId, expiresAt })
        .onConflict(['inboxId', 'mediaId'])
        .merge(['providerMediaId', 'expiresAt'])
        .execute('run');
    },
  };
}
