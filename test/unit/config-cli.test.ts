import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VARIABLES } from '../../src/config.table';

const root = path.join(__dirname, '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` in the repository with a throwaway DATA_DIR/CACHE_DIR; resolves when it exits. */
function run(command: string, args: string[], dir: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'development', DATA_DIR: dir, CACHE_DIR: path.join(dir, 'cache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Not a speed goal: only "it answered instead of starting a server that never exits".
    const stuck = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(stuck);
      resolve({ code, stdout, stderr });
    });
  });
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-config-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('`npm start -- --help` prints every variable with its default and exits 0 without opening the database', async (t) => {
  const dir = tempDir(t);
  // A DATABASE_URL that could not be opened, and a bad PORT: --help must not even read them.
  const { code, stdout, stderr } = await run('npm', ['start', '--silent', '--', '--help'], dir, { PORT: 'not-a-port' });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^ {2}VARIABLE +DEFAULT +MEANING$/m);
  assert.match(stdout, /^ {2}DATABASE_URL +file:<DATA_DIR>\/switchboard\.db +SQLite: /m);
  assert.match(stdout, /^ {2}PORT +4000 +Port it listens on/m);
  for (const name of Object.keys(VARIABLES)) assert.match(stdout, new RegExp(`^ {2}${name} `, 'm'), name);
  assert.doesNotMatch(stdout, /Switchboard is serving/);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written to DATA_DIR');
});

test('-h does the same when node runs main directly', async (t) => {
  const dir = tempDir(t);
  const { code, stdout } = await run(process.execPath, ['-r', '@swc-node/register', 'src/main.ts', '-h'], dir);
  assert.equal(code, 0);
  assert.match(stdout, /^ {2}DATABASE_URL /m);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a bad DATABASE_URL (and PORT) stops the start with exit code 2, one message, no stack trace, no file', async (t) => {
  const dir = tempDir(t);
  const { code, stdout, stderr } = await run(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], dir, {
    DATABASE_URL: 'mysql://root:hunter2@localhost:3306/switchboard',
    PORT: '80a',
  });
  assert.equal(code, 2, stderr);
  assert.equal(stdout, '');
  assert.equal(
    stderr.trim(),
    [
      'Invalid configuration: 2 environment variables are not valid.',
      '  PORT must be a non-negative integer (got "80a")',
      '  DATABASE_URL must be file:<path>, a file path, :memory: or postgres://user@host:5432/db; "mysql:" is not supported (got "mysql://root:***@localhost:3306/switchboard")',
      'Run `npm start -- --help` for every variable, its default and meaning.',
    ].join('\n'),
  );
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  assert.deepEqual(fs.readdirSync(dir), [], 'no SQLite file named after the URL');
  assert.ok(!fs.existsSync(path.join(root, 'mysql:')), 'no file named after the scheme in the working directory');
});
