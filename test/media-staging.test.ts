import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer } from './helpers/server';
import { HOST_TAG } from '../src/storage/local-media-storage';

/** The pid of a process that has exited (and so cannot own an upload any more). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

test('staging files a crash left behind are swept at start-up; uploads of live instances are kept', async (t) => {
  const hex = (n: number) => n.toString(16).padStart(32, '0');
  const dead = await deadPid();
  const hourAndMinuteAgo = new Date(Date.now() - 61 * 60 * 1000);
  const files = {
    // Not written for over an hour: abandoned whoever wrote it (also the pre-owner name format).
    stale: `${hex(1)}.part`,
    staleOfLiveInstance: `${hex(2)}.${HOST_TAG}.${process.ppid}.part`,
    // Fresh, but its writer on this host is gone: a killed server's upload.
    ofDeadProcess: `${hex(3)}.${HOST_TAG}.${dead}.part`,
    // Fresh and its writer is alive: another instance sharing the directory is still uploading.
    ofLiveInstance: `${hex(4)}.${HOST_TAG}.${process.ppid}.part`,
    // Fresh, from another host: its pid means nothing here.
    ofOtherHost: `${hex(5)}.ffffffff.${dead}.part`,
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-staging-test-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const staging = path.join(dataDir, 'media', '.staging');
  const s = await startTestServer({
    deliveryWorker: false,
    config: { dataDir },
    beforeStart: async () => {
      fs.mkdirSync(staging, { recursive: true });
      for (const name of Object.values(files)) fs.writeFileSync(path.join(staging, name), Buffer.alloc(1024));
      for (const name of [files.stale, files.staleOfLiveInstance]) {
        fs.utimesSync(path.join(staging, name), hourAndMinuteAgo, hourAndMinuteAgo);
      }
    },
  });
  t.after(() => s.close());
  assert.deepEqual(fs.readdirSync(staging).sort(), [files.ofLiveInstance, files.ofOtherHost].sort());
});
