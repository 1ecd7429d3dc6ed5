import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { UploadLimits } from '../../config';
import { AppError, ErrorCode } from '../../lib/errors';
import type { MediaKind } from '../message/content-kind';
import { SNIFF_BYTES, sniffMime, type SniffedType } from './mime-sniff';

/** What the inspector learnt once the whole upload went through it. */
export interface InspectedUpload extends SniffedType {
  size: number;
  sha256: string;
}

/** The upload limit of a media kind. */
export function uploadLimitFor(limits: UploadLimits, kind: MediaKind): number {
  return limits[kind];
}

/** The largest per-kind limit: the multipart parser's hard ceiling. */
export function maxUploadBytes(limits: UploadLimits): number {
  return Math.max(...Object.values(limits));
}

/** `extensions.mediaKind` uses the GraphQL enum name (IMAGE), which is the value upper-cased. */
const tooLarge = (limit: number, kind: MediaKind) =>
  new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The file exceeds the ${limit}-byte limit for ${kind} uploads.`, {
    limit,
    mediaKind: kind.toUpperCase(),
  });

/**
 * A pass-through that sniffs, measures and hashes an upload as it streams: it holds back only the
 * first SNIFF_BYTES, names the type from them (refusing unknown types before anything is written),
 * then fails the stream as soon as the byte count passes that kind's limit.
 */
export class UploadInspector extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private head: Buffer[] = [];
  private headBytes = 0;
  private size = 0;
  private type: SniffedType | null = null;

  constructor(private readonly limits: UploadLimits) {
    super();
  }

  /** Type, size and hash; only valid after the stream ended without error. */
  result(): InspectedUpload {
    if (!this.type) throw new Error('UploadInspector.result() called before the upload was inspected');
    return { ...this.type, size: this.size, sha256: this.hash.digest('hex') };
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    if (this.type) {
      const limit = uploadLimitFor(this.limits, this.type.mediaKind);
      if (this.size > limit) return done(tooLarge(limit, this.type.mediaKind));
      return done(null, chunk);
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) return done();
    done(this.decide(false));
  }

  override _flush(done: TransformCallback): void {
    if (this.type) return done();
    if (this.size === 0)
      return done(new AppError(ErrorCode.BAD_USER_INPUT, 'The file is empty.', { fields: [{ field: 'file', message: 'is empty.' }] }));
    done(this.decide(true));
  }

  /** Sniffs the held-back head, checks the limit so far, and releases the head downstream. */
  private decide(complete: boolean): AppError | null {
    const head = Buffer.concat(this.head);
    this.head = [];
    const type = sniffMime(head.subarray(0, SNIFF_BYTES), complete);
    if (!type) {
      return new AppError(
        ErrorCode.UNSUPPORTED_CONTENT,
        'The file type is not supported (accepted: JPEG, PNG, GIF, WebP, MP4/3GP, Ogg, MP3, AAC, AMR, PDF, Office/ZIP documents, plain text).',
      );
    }
    const limit = uploadLimitFor(this.limits, type.mediaKind);
    if (this.size > limit) return tooLarge(limit, type.mediaKind);
    this.type = type;
    this.push(head);
    return null;
  }
}
