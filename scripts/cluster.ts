/**
 * `npm run cluster [-- --instances N]`: N Switchboard instances (default 2) on one PostgreSQL
 * database and one Redis, behind HAProxy (deploy/haproxy.cfg), as README "Production topology"
 * describes. Prints the single URL and a demo token; Ctrl-C stops everything.
 *
 *   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/switchboard (created when missing)
 *   REDIS_URL     default redis://127.0.0.1:6379
 *   PORT          the load balancer's port (default 4000); instances listen on PORT+1…PORT+N
 *   DATA_DIR      default data/cluster: shared by the instances (secrets key, media, demo token)
 */
import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';

const ROOT = path.resolve(__dirname, '..');

/** Creates the database of `url` when it does not exist (the instances migrate it). */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: admin.toString(),
    entities: [],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: true,
  });
  try {
    const rows = await orm.em.getConnection().execute('select 1 from pg_database where datname = ?', [name]);
    if (rows.length === 0) await orm.em.getConnection().execute(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await orm.close(true);
  }
}

/**
 * The settings every instance must share (README, "Production topology"): generated once into
 * DATA_DIR and reused, unless the environment sets them. SECRETS_KEY needs nothing here: the
 * instances share DATA_DIR, hence `<DATA_DIR>/secrets.key`.
 */
function sharedSecrets(dataDir: string): Record<string, string> {
  const file = path.join(dataDir, 'cluster-secrets.json');
  const saved: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const secrets: Record<string, string> = {};
  for (const name of ['MEDIA_SIGNING_SECRET', 'SANDBOX_WEBHOOK_SECRET']) {
    secrets[name] = process.env[name] || saved[name] || randomBytes(32).toString('base64url');
  }
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}

/** Prefixes every line a child prints with its name. */
function relay(child: ChildProcess, name: string, onText?: (text: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      onText?.(text);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
}

/** Starts one instance and resolves once it serves. */
function startInstance(name: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    relay(child, name, (text) => {
      output += text;
      if (/serving GraphQL at/.test(output)) resolve({ child });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} during start-up`)));
  });
}

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { instances: { type: 'string', short: 'n' } }, strict: true });
  const count = Number(values.instances ?? process.env.CLUSTER_INSTANCES ?? 2);
  if (!Number.isInteger(count) || count < 1 || count > 16) throw new Error('--instances must be a whole number from 1 to 16');
  if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('haproxy is not installed (Debian/Ubuntu: apt-get install haproxy; .ci/run installs it)');
  }
  const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/switchboard';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new Error('npm run cluster needs DATABASE_URL=postgres://… (SQLite is one process only)');
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const host = process.env.HOST || '127.0.0.1';
  const port = Number(process.env.PORT || 4000);
  const dataDir = path.resolve(process.env.DATA_DIR || 'data/cluster');
  const publicOrigin = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  await ensureDatabase(databaseUrl);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...sharedSecrets(dataDir),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    // Providers (and the sandbox) call back through the load balancer, like any client.
    PUBLIC_URL: process.env.PUBLIC_URL || publicOrigin,
  };

  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('Stopping the load balancer and the instances…\n');
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    process.stdout.write('Stopped.\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    // Started together: the migration lock makes them migrate and seed once.
    const instances = await Promise.all(
      Array.from({ length: count }, (_, i) => startInstance(`app${i + 1}`, { ...env, PORT: String(port + 1 + i) })),
    );
    for (const { child } of instances) {
      children.push(child);
      child.once('exit', (code, signal) => {
        if (!stopping) process.stdout.write(`An instance exited (${signal ?? code}); the others keep serving.\n`);
      });
    }

    const template = fs.readFileSync(path.join(ROOT, 'deploy/haproxy.cfg'), 'utf8');
    const servers = instances.map((_, i) => `    server app${i + 1} 127.0.0.1:${port + 1 + i}`).join('\n');
    const cfgDir = path.join(ROOT, '.cache', 'cluster');
    fs.mkdirSync(cfgDir, { recursive: true });
    const cfg = path.join(cfgDir, 'haproxy.cfg');
    fs.writeFileSync(cfg, template.replace('    # servers', servers));
    const haproxy = spawn('haproxy', ['-db', '-f', cfg], {
      env: { ...process.env, SB_LISTEN: `${host}:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(haproxy);
    relay(haproxy, 'haproxy');
    haproxy.once('exit', (code) => {
      if (!stopping) {
        process.stdout.write(`haproxy exited (${code})\n`);
        void stop(1);
      }
    });
    await waitForReady(`${publicOrigin}/readyz`, 30_000);

    // The instances share DATA_DIR, so they saved (and print) one demo token.
    const tokenFile = path.join(dataDir, 'demo-token');
    const token = env.SEED_DEMO !== 'false' && fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : null;
    process.stdout.write(
      [
        '',
        `Switchboard cluster: ${count} instance(s) on ${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')} and ${redisUrl}, behind HAProxy`,
        `GraphQL and playground: ${publicOrigin}/graphql`,
        ...(token ? [`Demo token (owner of "Acme Demo"): ${token}`] : []),
        'Ctrl-C stops the cluster.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    await stop(1);
  }
}

void main();
