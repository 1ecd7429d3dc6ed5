import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type { ChannelAdapter, FetchedMedia, MessageReceivedEvent, NormalisedInboundEvent } from '../../channels/channel-adapter';
import type { UploadLimits } from '../../config';
import type { Database } from '../../db/orm';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../observability/logger';
import type { MediaStorage, StagedObject } from '../../storage/media-storage';
import { WebhookReceipt } from '../delivery/webhook-receipt.entity';
import type { Inbox } from '../inbox/inbox.entity';
import { ContentKind } from '../message/content-kind';
import { Media } from './media.entity';
import { sanitizeFilename } from './media.service';
import { UploadInspector } from './upload-inspector';

/** What fetching customers' files needs. */
export interface InboundMediaDeps {
  db: Database;
  storage: MediaStorage;
  limits: UploadLimits;
  /** Longest a provider download may take (the webhook waits for it). */
  timeoutMs: number;
  logger?: Logger;
}

/** Default for {@link InboundMediaDeps.timeoutMs}: well inside the providers' webhook timeouts (Twilio 15 s, Meta 20 s). */
export const INBOUND_MEDIA_TIMEOUT_MS = 10_000;

/**
 * Fetches the files of a webhook's customer messages before they are ingested: each goes through
 * the adapter's `fetchMedia` (or comes from the webhook itself), then through the same inspector as
 * uploads (type sniffed, size limited by kind, hashed) into storage, and a Media row of the tenant
 * is inserted. The event's content then names the stored file with the sniffed type.
 *
 * A file that cannot be fetched or kept does not lose the message: it is stored with
 * `content.unavailable` saying why. Events already received (provider redeliveries) are skipped,
 * so a retried webhook does not download again.
 */
export async function resolveInboundMedia(
  deps: InboundMediaDeps,
  inbox: Pick<Inbox, 'id' | 'tenantId'>,
  adapter: ChannelAdapter,
  events: NormalisedInboundEvent[],
): Promise<void> {
  const wanted = events.filter((e): e is MessageReceivedEvent => e.type === 'message_received' && !!e.media);
  if (!wanted.length) return;
  const known = new Set(
    (
      await deps.db.em
        .fork()
        .find(
          WebhookReceipt,
          { inboxId: inbox.id, providerEventId: { $in: wanted.map((e) => e.providerEventId) } },
          { fields: ['providerEventId'] },
        )
    ).map((r) => r.providerEventId),
  );
  for (const event of wanted) {
    if (known.has(event.providerEventId)) continue;
    try {
      const media = await fetchAndStore(deps, inbox.tenantId, adapter, event);
      if (event.content.kind === ContentKind.MEDIA)
        event.content = {
          ...event.content,
          mediaId: media.id,
          mediaKind: media.mediaKind,
          mimeType: media.mimeType,
          filename: media.filename,
          unavailable: null,
        };
    } catch (err) {
      const reason =
        err instanceof AppError
          ? err.message
          : `The provider did not hand over the file (${err instanceof Error ? err.message : String(err)}).`;
      deps.logger?.warn({ err, inboxId: inbox.id, providerEventId: event.providerEventId }, 'an inbound file could not be kept');
      if (event.content.kind === ContentKind.MEDIA) event.content = { ...event.content, mediaId: null, unavailable: reason };
    }
    event.media = null;
  }
}

async function fetchAndStore(
  deps: InboundMediaDeps,
  tenantId: string,
  adapter: ChannelAdapter,
  event: MessageReceivedEvent,
): Promise<Media> {
  const source = event.media!;
  const signal = AbortSignal.timeout(deps.timeoutMs);
  let fetched: FetchedMedia;
  if (source.data) fetched = { body: source.data, mimeType: source.mimeType, filename: source.filename };
  else if (adapter.fetchMedia) fetched = await adapter.fetchMedia(source, signal);
  else throw new Error(`the ${adapter.provider} adapter cannot download files`);
  const body = Buffer.isBuffer(fetched.body) ? Readable.from([fetched.body]) : fetched.body;
  signal.addEventListener('abort', () => body.destroy(new Error('the download took too long')), { once: true });

  const inspector = new UploadInspector(deps.limits);
  const staged: StagedObject = await deps.storage.put(pipeline(body, inspector, () => {}));
  let kept = false;
  try {
    const inspected = inspector.result();
    await staged.commit();
    kept = true;
    const media = await deps.db.em
      .fork()
      .transactional(async (tx) =>
        tx.create(Media, {
          tenantId,
          uploadedById: null,
          mediaKind: inspected.mediaKind,
          mimeType: inspected.mimeType,
          filename: sanitizeFilename(fetched.filename ?? source.filename ?? `${inspected.mediaKind}`),
          size: inspected.size,
          sha256: inspected.sha256,
          storageKey: staged.key,
          idempotencyKey: null,
          createdAt: new Date(),
        }),
      )
      .catch(async (err) => {
        await deps.storage.delete(staged.key);
        throw err;
      });
    return media;
  } finally {
    if (!kept) await staged.discard();
  }
}
