import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..');

/** What `npm start` does about the playground, in a fresh process (the in-process memo does not count). */
async function bundleInNewProcess(cacheDir: string): Promise<{ js: string; css: string; workers: Record<string, string> }> {
  const script = `require('./src/playground/playground').buildPlaygroundAssets(${JSON.stringify(cacheDir)}).then((a) => console.log(JSON.stringify(a)))`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: ROOT });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { js: string; css: string; workers: Record<string, string> };
}

test('a second start reuses the playground bundle of the first instead of bundling again', async (t) => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-playground-cache-'));
  t.after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  const first = await bundleInNewProcess(cacheDir);
  const written = { js: fs.statSync(first.js).mtimeMs, css: fs.statSync(first.css).mtimeMs };
  const second = await bundleInNewProcess(cacheDir);

  assert.deepEqual(second, first, 'same sources and packages, same key');
  assert.deepEqual({ js: fs.statSync(second.js).mtimeMs, css: fs.statSync(second.css).mtimeMs }, written, 'the files were not rewritten');
  // The page bundle, its stylesheet and the editors' web workers (GraphiQL 5's monaco).
  const files = [first.css, first.js, ...Object.values(first.workers)].map((file) => path.basename(file));
  assert.equal(files.length, 5);
  assert.deepEqual(fs.readdirSync(cacheDir).sort(), files.sort(), 'one bundle, no leftovers');
});
