import { pipeline, type Readable } from 'node:stream';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { FileUpload } from 'graphql-upload-ts';
import type { UploadLimits } from '../../config';
import { AppError, ErrorCode, Errors } from '../../lib/errors';
import type { MediaStorage, StagedObject } from '../../storage/media-storage';
import type { Viewer } from '../auth/viewer';
import { MAX_IDEMPOTENCY_KEY } from '../idempotency/idempotency.service';
import { Media } from './media.entity';
import { UploadInspector, maxUploadBytes, type InspectedUpload } from './upload-inspector';

/** What an upload needs besides the request: where bytes go and how many are allowed. */
export interface MediaUploadDeps {
  storage: MediaStorage;
  limits: UploadLimits;
}

export interface UploadMediaInput {
  /** The `Upload` argument as graphql-upload-ts resolves it. */
  file: Promise<FileUpload>;
  idempotencyKey?: string | null;
}

const MAX_FILENAME = 255;

/** `C:\fakepath\a.png`, `../../a.png` → `a.png`; control characters dropped; never empty. */
export function sanitizeFilename(raw: string | null | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  const cut = [...clean].slice(0, MAX_FILENAME).join('');
  return cut === '' || cut === '.' || cut === '..' ? 'upload' : cut;
}

function parseIdempotencyKey(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const key = raw.trim();
  if (!key) throw Errors.field('idempotencyKey', 'must not be blank.');
  if (key.length > MAX_IDEMPOTENCY_KEY) throw Errors.field('idempotencyKey', `must be at most ${MAX_IDEMPOTENCY_KEY} characters.`);
  return key;
}

/** http-errors from the multipart parser carry a status; 413 is its own size ceiling. */
function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Turns a failure of the client's side of the stream into a refusal the client can act on. */
function uploadFailure(err: unknown, limits: UploadLimits): AppError {
  if (err instanceof AppError) return err;
  if (statusOf(err) === 413) {
    const limit = maxUploadBytes(limits);
    return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The file exceeds the ${limit}-byte upload limit.`, { limit });
  }
  return Errors.field('file', 'was not received completely (the upload was interrupted or malformed).');
}

/** The same upload again (same bytes) returns the first Media; other bytes under the key conflict. */
function replay(existing: Media, inspected: InspectedUpload, key: string): Media {
  if (existing.sha256 === inspected.sha256 && Number(existing.size) === inspected.size) return existing;
  throw new AppError(ErrorCode.IDEMPOTENCY_CONFLICT, `The idempotency key "${key}" was already used for a different file.`, {
    mediaId: existing.id,
  });
}

/**
 * Stores an upload as a Media of the viewer's tenant. The bytes stream through the inspector
 * (type sniffed, size limited, SHA-256 computed) into staged storage, are committed, and only then
 * is the row inserted (one transaction), so a committed row always has its bytes. Every refusal or
 * failure — unknown type, too large, interrupted, idempotency conflict, a failed transaction —
 * discards the staged or committed bytes, so it leaves neither a file nor a row; a crash leaves at
 * most a staging file (swept at start-up) or an unreferenced file.
 */
export async function uploadMedia(em: EntityManager, deps: MediaUploadDeps, viewer: Viewer, input: UploadMediaInput): Promise<Media> {
  const idempotencyKey = parseIdempotencyKey(input.idempotencyKey);
  let upload: FileUpload;
  try {
    upload = await input.file;
  } catch (err) {
    throw uploadFailure(err, deps.limits);
  }

  const inspector = new UploadInspector(deps.limits);
  let source: Readable;
  try {
    source = upload.createReadStream();
  } catch (err) {
    throw uploadFailure(err, deps.limits);
  }
  let sourceError: unknown = null;
  source.once('error', (err) => (sourceError ??= err));
  let staged: StagedObject;
  try {
    staged = await deps.storage.put(pipeline(source, inspector, () => {}));
  } catch (err) {
    // The inspector's own refusals are AppErrors; the client's stream failing is bad input; a
    // failure on the storage side is ours (and gets masked and logged as such).
    if (err instanceof AppError) throw err;
    if (sourceError) throw uploadFailure(sourceError, deps.limits);
    throw err;
  }

  // Bytes first, then the row: a crash in between leaves an unreferenced file (never served), not
  // a Media whose bytes are missing.
  let placed = false;
  try {
    const inspected = inspector.result();
    if (idempotencyKey) {
      const existing = await em.findOne(Media, { tenantId: viewer.tenantId, idempotencyKey });
      if (existing) return replay(existing, inspected, idempotencyKey);
    }
    await staged.commit();
    placed = true;
    try {
      return await em.transactional(async (tx) =>
        tx.create(Media, {
          tenantId: viewer.tenantId,
          uploadedById: viewer.userId,
          mediaKind: inspected.mediaKind,
          mimeType: inspected.mimeType,
          filename: sanitizeFilename(upload.filename),
          size: inspected.size,
          sha256: inspected.sha256,
          storageKey: staged.key,
          idempotencyKey,
          createdAt: new Date(),
        }),
      );
    } catch (err) {
      // No row points at the bytes: take them back out.
      await deps.storage.delete(staged.key);
      // A concurrent request with the same key won the insert: answer as its replay.
      if (idempotencyKey && err instanceof UniqueConstraintViolationException) {
        const winner = await em.fork().findOne(Media, { tenantId: viewer.tenantId, idempotencyKey });
        if (winner) return replay(winner, inspected, idempotencyKey);
      }
      throw err;
    }
  } finally {
    if (!placed) await staged.discard();
  }
}
