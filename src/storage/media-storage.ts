import type { Readable } from 'node:stream';

/** What storage knows about a stored object. */
export interface StoredObjectInfo {
  size: number;
}

/**
 * Bytes written by `put` but not yet visible: the caller commits them before it inserts the
 * database row that points at them (and deletes them if that insert fails), or discards them on
 * any earlier failure, so a row never points at missing bytes.
 */
export interface StagedObject {
  /** The key the object will be readable under after `commit`. */
  readonly key: string;
  /** Bytes written. */
  readonly size: number;
  /** Makes the object readable under `key` (local: rename; S3: complete the multipart upload). */
  commit(): Promise<void>;
  /** Removes the staged bytes; safe to call more than once and after a failed commit. */
  discard(): Promise<void>;
}

/**
 * Where uploaded media bytes live. Keys are chosen by the storage, never by clients. The local
 * directory store is the default; an S3-compatible store implements the same four operations
 * (put = multipart upload completed on commit / aborted on discard, get = GetObject stream, …).
 */
export interface MediaStorage {
  /**
   * Streams `body` into a staging area under a fresh key without buffering it whole. Rejects with
   * the stream's error (after removing whatever was written) when `body` fails midway.
   */
  put(body: Readable): Promise<StagedObject>;
  /** A stream of a committed object's bytes, or null when there is no such object. */
  get(key: string): Promise<Readable | null>;
  /** Size of a committed object, or null when there is no such object. */
  stat(key: string): Promise<StoredObjectInfo | null>;
  /** Removes a committed object; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes staged bytes nobody will commit or discard any more (uploads cut by a crash), without
   * touching uploads other instances sharing the store still have under way. Run at start-up;
   * resolves with how many were removed. Stores whose staging expires by itself leave it out.
   */
  sweepStaging?(): Promise<number>;
}
