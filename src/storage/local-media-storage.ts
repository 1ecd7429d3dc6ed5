import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MediaStorage, StagedObject, StoredObjectInfo } from './media-storage';

/** `ab/0123…` — two hex chars fan the files out over 256 directories. */
const KEY_RE = /^[0-9a-f]{2}\/[0-9a-f]{32}$/;

/** Staging lives inside the root so that committing is a same-filesystem (atomic) rename. */
const STAGING_DIR = '.staging';

/**
 * Age after which a staging file is abandoned whoever wrote it: a live upload rewrites its file
 * with every chunk, so an hour without a write is an upload that will never finish.
 */
export const STALE_STAGING_MS = 60 * 60 * 1000;

/** `<32 hex>.<host tag>.<pid>.part`: who writes a staging file, so a restart can tell its own leftovers. */
const STAGED_RE = /^[0-9a-f]{32}\.([0-9a-f]{8})\.(\d+)\.part$/;

/** This host, shortened: pids are only comparable on the host (container) that issued them. */
export const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a staging file can be removed: it is older than `staleMs`, or it was written on this
 * host by a process that is gone (a crashed or killed server: its upload can never finish). A
 * file of another live process — another instance sharing the directory — is left alone.
 */
export function isAbandonedStaging(
  name: string,
  mtimeMs: number,
  now: number,
  staleMs: number,
  alive: (pid: number) => boolean = isAlive,
): boolean {
  if (!name.endsWith('.part')) return false;
  if (now - mtimeMs > staleMs) return true;
  const owner = STAGED_RE.exec(name);
  return owner !== null && owner[1] === HOST_TAG && Number(owner[2]) !== process.pid && !alive(Number(owner[2]));
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/**
 * Media in a local directory (by default `<dataDir>/media`). Uploads are written to
 * `.staging/<key>.<host>.<pid>.part` and renamed into `<xx>/<key>` on commit; files a crash left
 * in staging are removed by {@link LocalMediaStorage.sweepStaging} at start-up.
 */
export class LocalMediaStorage implements MediaStorage {
  private readonly stagingDir: string;

  constructor(readonly root: string) {
    this.stagingDir = path.join(root, STAGING_DIR);
  }

  async put(body: Readable): Promise<StagedObject> {
    const hex = randomBytes(16).toString('hex');
    const key = `${hex.slice(0, 2)}/${hex}`;
    await fs.promises.mkdir(this.stagingDir, { recursive: true });
    const staged = path.join(this.stagingDir, `${hex}.${HOST_TAG}.${process.pid}.part`);
    const discard = () => fs.promises.rm(staged, { force: true });
    try {
      await pipeline(body, fs.createWriteStream(staged, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      body.destroy();
      await discard();
      throw err;
    }
    const { size } = await fs.promises.stat(staged);
    const final = this.pathOf(key);
    return {
      key,
      size,
      commit: async () => {
        await fs.promises.mkdir(path.dirname(final), { recursive: true });
        await fs.promises.rename(staged, final);
      },
      discard,
    };
  }

  /**
   * Removes abandoned staging files (see {@link isAbandonedStaging}): uploads cut by a crash leave
   * theirs behind, since neither commit nor discard ever ran. Returns how many were removed.
   */
  async sweepStaging(staleMs: number = STALE_STAGING_MS, now: number = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.stagingDir);
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.stagingDir, name);
      try {
        const st = await fs.promises.stat(file);
        if (!st.isFile() || !isAbandonedStaging(name, st.mtimeMs, now, staleMs)) continue;
        await fs.promises.rm(file, { force: true });
        removed++;
      } catch (err) {
        // Committed or discarded by its owner meanwhile.
        if (!isMissing(err)) throw err;
      }
    }
    return removed;
  }

  async get(key: string): Promise<Readable | null> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.pathOf(key), 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    return handle.createReadStream();
  }

  async stat(key: string): Promise<StoredObjectInfo | null> {
    try {
      const st = await fs.promises.stat(this.pathOf(key));
      return st.isFile() ? { size: st.size } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }

  /** Keys come from our own rows, but a malformed one must never reach outside the root. */
  private pathOf(key: string): string {
    if (!KEY_RE.test(key)) throw new Error(`Malformed media storage key "${key}"`);
    return path.join(this.root, ...key.split('/'));
  }
}
