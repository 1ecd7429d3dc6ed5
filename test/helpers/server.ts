import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { initDatabase, type Database } from '../../src/db/orm';
import { issueToken } from '../../src/modules/auth/token.service';
import type { Scope } from '../../src/modules/auth/scopes';
import { seedDemo, type DemoWorkspace } from '../../src/seed/demo';
import { createServer, type RunningServer, type ServerOptions } from '../../src/server';
import { GqlClient } from './client';
import { createTestDatabaseUrl } from './postgres';

/** A real Switchboard server on port 0 with the demo workspace and a token per demo user. */
export interface TestServer {
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  /** The owner's token (all scopes). */
  demoToken: string;
  tokens: {
    owner: string;
    admin: string;
    agent: string;
    smsAgent: string;
    bot: string;
  };
  demo: DemoWorkspace;
  server: RunningServer;
  db: Database;
  config: Config;
  /** A typed client; defaults to the owner's token. Pass null for an anonymous client. */
  client(token?: string | null): GqlClient;
  /** Issues an extra token (e.g. with fewer scopes) for a demo user. */
  token(user: keyof TestServer['tokens'], scopes: Scope[], opts?: { expiresAt?: Date }): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions extends Omit<ServerOptions, 'db'> {
  config?: Partial<Config>;
  /** false: outbound messages stay PENDING (tests of what a mutation writes, not of delivery). */
  deliveryWorker?: boolean;
  /** 'sqlite' (default, a temp file) or 'postgres' (a fresh database on the local server). */
  dialect?: 'sqlite' | 'postgres';
  /** Called with the open database after seeding and before the server starts. */
  beforeStart?: (db: Database, demo: DemoWorkspace) => Promise<void>;
}

/** Boots the real server factory against a fresh database. Always `await close()` (use t.after). */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
  const pg = opts.dialect === 'postgres' ? await createTestDatabaseUrl() : null;
  const config = loadConfig(
    // Quiet logs (warn) unless LOG_LEVEL asks for more, as under `npm test`.
    { NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL },
    {
      host: '127.0.0.1',
      port: 0,
      databaseUrl: pg ? pg.url : `file:${path.join(dir, 'test.db')}`,
      dataDir: dir,
      cacheDir: path.resolve(__dirname, '../../.cache'),
      exposeSqlStats: true,
      ...opts.config,
      ...(opts.deliveryWorker === false ? { delivery: { ...(opts.config?.delivery ?? loadConfig({}).delivery), runWorker: false } } : {}),
    },
  );
  const db = await initDatabase(config);
  const cleanup = async () => {
    await db.orm.close(true);
    if (pg) await pg.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await boot();
  } catch (err) {
    // A failed start must not leave a pool open: the test process would never exit.
    await cleanup();
    throw err;
  }

  async function boot(): Promise<TestServer> {
    const em = db.em.fork();
    const demo = await seedDemo(em);
    const issue = async (userId: string, scopes?: Scope[], expiresAt?: Date) =>
      (
        await issueToken(db.em.fork(), {
          tenantId: demo.tenant.id,
          userId,
          name: 'test',
          scopes,
          expiresAt,
        })
      ).token;
    const users = {
      owner: demo.owner,
      admin: demo.admin,
      agent: demo.agent,
      smsAgent: demo.smsAgent,
      bot: demo.bot,
    };
    const tokens = {
      owner: await issue(demo.owner.id),
      admin: await issue(demo.admin.id),
      agent: await issue(demo.agent.id),
      smsAgent: await issue(demo.smsAgent.id),
      bot: await issue(demo.bot.id),
    };
    if (opts.beforeStart) await opts.beforeStart(db, demo);
    const server = await createServer(config, {
      ...opts,
      db,
      playgroundHeaders: { Authorization: `Bearer ${tokens.owner}` },
    });
    return {
      url: server.url,
      httpUrl: server.origin,
      demoToken: tokens.owner,
      tokens,
      demo,
      server,
      db,
      config,
      client: (token = tokens.owner) => new GqlClient(server.url, token),
      token: (user, scopes, o) => issue(users[user].id, scopes, o?.expiresAt),
      close: async () => {
        await server.close();
        await cleanup();
      },
    };
  }
}
