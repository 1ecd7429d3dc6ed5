import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MediaStorage, StagedObject, StoredObjectInfo } from './media-storage';

/** `ab/0123…` — two hex chars fan the files out over 256 directories. */
const KEY_RE = /^[0-9a-f]{2}\/[0-9a-f]{32}$/;

/** Staging lives inside the root so that committing is a same-filesystem (atomic) rename. */
const STAGING_DIR = '.staging';

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/**
 * Media in a local directory (by default `<dataDir>/media`). Uploads are written to
 * `.staging/<random>.part` and renamed into `<xx>/<key>` on commit.
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
    const staged = path.join(this.stagingDir, `${hex}.part`);
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
