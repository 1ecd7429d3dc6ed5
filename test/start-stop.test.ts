import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { rawSocket } from './helpers/subscriptions';

const ROOT = path.resolve(__dirname, '..');

/** What `npm start` printed once it serves. */
interface Started {
  url: string;
  token: string;
  output: () => string;
}

/**
 * The environment a user's shell would give `npm start`: the test runner's own NODE_OPTIONS (SWC
 * preloaded) and NODE_ENV=test must not leak into it.
 */
function userEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_ENV;
  return env;
}

/**
 * Spawns a command in its own process group (so the test can tell whether anything of it is left)
 * and resolves once it prints the GraphQL URL and the demo token.
 */
function spawnServer(command: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; started: Promise<Started> } {
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const started = new Promise<Started>((resolve, reject) => {
    const look = () => {
      const url = /serving GraphQL at (http:\/\/\S+)/.exec(out)?.[1];
      const token = /Demo token[^:]*: (sb_\S+)/.exec(out)?.[1];
      if (url && token) resolve({ url, token, output: () => out });
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        out += chunk;
        look();
      });
    }
    child.once('exit', (code, signal) => reject(new Error(`${command} exited (${code ?? signal}) before serving:\n${out}`)));
  });
  return { child, started };
}

/** Whether any process of the group led by `pid` is still alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Resolves when the child exited AND every process holding its stdout/stderr (its whole tree) has closed them. */
function treeClosed(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/** Rejects when `promise` has not settled within `ms`: a bound against hanging, not a speed goal. */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A websocket with a live subscription, as a playground or frontend would hold one. */
async function subscribe(url: string, token: string): Promise<ReturnType<typeof rawSocket>> {
  const ws = rawSocket(url);
  await ws.opened;
  const acked = new Promise<void>((resolve, reject) => {
    ws.socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { type: string };
      if (msg.type === 'connection_ack') resolve();
    });
    void ws.closed.then(({ code, reason }) => reject(new Error(`socket closed before ack: ${code} ${reason}`)));
  });
  ws.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  ws.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { inboxEvents { __typename } }' } }));
  return ws;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} to \`npm start\` closes websockets with 1001 and leaves no process and no listener behind`, async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-start-'));
    // SIGTERM starts as a fresh clone does, bundling the playground (esbuild runs a process of its own).
    const cacheDir = signal === 'SIGTERM' ? fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-start-cache-')) : null;
    const { child, started } = spawnServer('npm', ['start'], userEnv(dataDir, cacheDir ? { CACHE_DIR: cacheDir } : {}));
    t.after(() => {
      // Whatever happened, leave nothing running (the group id is the npm process id).
      if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
    });
    const closed = treeClosed(child);
    const { url, token, output } = await started;
    const port = Number(new URL(url).port);

    const ws = await subscribe(url, token);
    const sent = Date.now();
    process.kill(child.pid!, signal);

    const close = await within(ws.closed, 10_000, () => `websocket still open 10 s after ${signal}:\n${output()}`);
    assert.equal(close.code, 1001, `the websocket is told the server is going away (got ${close.code} ${close.reason})`);

    // A generous bound: the point is "exits by itself", not a speed goal.
    const exit = await within(closed, Math.max(0, sent + 10_000 - Date.now()), () => `still running 10 s after ${signal}:\n${output()}`);
    assert.match(output(), /^Stopped\.$/m, 'the server finished its shutdown');
    // npm re-raises a forwarded signal on itself once its script has exited (npm's convention).
    assert.ok(exit.code === 0 || exit.signal === signal, `npm exited with ${exit.code ?? exit.signal}:\n${output()}`);
    assert.equal(groupAlive(child.pid!), false, 'no process of `npm start` is left running');
    assert.equal(await listening(port), false, 'nothing listens on the port any more');
  });
}

/** Runs a command to completion, failing with its output when it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

test('`npm run build` then `npm run start:prod` serves the API and the prebuilt playground, migrating a fresh database, and stops on SIGTERM', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-prod-'));
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-prod-cache-'));
  t.after(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });
  await run('npm', ['run', 'build'], userEnv(dataDir));
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/playground/assets/manifest.json'), 'utf8')) as { js: string };
  const builtJs = fs.readFileSync(path.join(ROOT, 'dist/playground/assets', manifest.js));

  const { child, started } = spawnServer('npm', ['run', 'start:prod'], userEnv(dataDir, { CACHE_DIR: cacheDir }));
  t.after(() => {
    if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
  });
  const closed = treeClosed(child);
  const { url, token, output } = await started;
  const origin = new URL(url).origin;

  // The API answers on a database the compiled migrations just created.
  const api = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ viewer { tenant { name } } }' }),
  });
  assert.deepEqual(await api.json(), { data: { viewer: { tenant: { name: 'Acme Demo' } } } });

  // The page references the bundle the build wrote, and that bundle is what is served.
  const page = await (await fetch(`${origin}/playground`)).text();
  const src = /<script src="([^"]+\.js)"/.exec(page)?.[1];
  assert.equal(src, `/playground/assets/${manifest.js}`, 'the page loads the prebuilt bundle');
  const served = await fetch(`${origin}${src}`, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(served.status, 200);
  assert.ok(Buffer.from(await served.arrayBuffer()).equals(builtJs), 'the served script is the one built ahead of time');
  assert.deepEqual(fs.readdirSync(cacheDir), [], 'nothing was bundled at start-up');

  process.kill(child.pid!, 'SIGTERM');
  await within(closed, 10_000, () => `still running 10 s after SIGTERM:\n${output()}`);
  assert.match(output(), /^Stopped\.$/m);
  assert.equal(groupAlive(child.pid!), false, 'no process is left running');
});
