import 'reflect-metadata';
import { ConfigError, configHelp, loadConfig } from './config';
import { withAdvisoryLock } from './cluster/advisory-lock';
import { initDatabase, MIGRATION_LOCK } from './db/orm';
import { Tenant } from './modules/tenant/tenant.entity';
import { seedDemo } from './seed/demo';
import { ensureDemoToken } from './seed/demo-token';
import { createServer, HTTP_DRAIN_GRACE_MS } from './server';

/** Sends already with a provider get this long to finish and be recorded before they are abandoned. */
const WORKER_GRACE_MS = 3000;

/**
 * Hard limit on a graceful stop (10 s): the worker's grace, then the HTTP drain, with room left for
 * the websockets and the database. Past it the process exits 1 rather than wait for a SIGKILL.
 */
const SHUTDOWN_TIMEOUT_MS = WORKER_GRACE_MS + HTTP_DRAIN_GRACE_MS + 2000;

/** `npm start`: migrate, seed the demo workspace on an empty database, serve, print how to get in. */
async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(configHelp(process.stdout.columns || undefined));
    return;
  }
  const config = loadConfig();
  const db = await initDatabase(config);
  // Under the migration lock: instances started together against one database seed it once.
  const token = await withAdvisoryLock(db, MIGRATION_LOCK, async () => {
    const em = db.em.fork();
    if (config.seedDemo && (await em.count(Tenant, {})) === 0) {
      await seedDemo(em);
      console.log('Seeded the demo workspace "Acme Demo".');
    }
    return config.seedDemo ? await ensureDemoToken(db.em.fork(), config.dataDir) : null;
  });
  const server = await createServer(config, {
    db,
    playgroundHeaders: token ? { Authorization: `Bearer ${token}` } : undefined,
  });
  console.log(`Switchboard is serving GraphQL at ${server.url}`);
  console.log(`Playground: open ${server.url} (or ${server.origin}/playground) in a browser`);
  console.log(`Database: ${db.dialect}${db.dialect === 'sqlite' ? ` (${config.databaseUrl.replace(/^file:/, '')})` : ''}`);
  if (token) console.log(`Demo token (owner of "Acme Demo"): ${token}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // Repeats are expected, not a request to hurry: Ctrl-C reaches node both from the terminal and
    // forwarded by npm. The deadline below bounds the wait instead.
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down (in-flight requests finish, websockets close with 1001)`);
    // A request or send that never ends must not keep a container runtime waiting for its SIGKILL.
    const deadline = setTimeout(() => {
      console.error(`Shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS} ms: exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    server
      .close({ graceMs: WORKER_GRACE_MS })
      .then(() => db.orm.close(true))
      .then(
        () => {
          clearTimeout(deadline);
          console.log('Stopped.');
          process.exit(0);
        },
        (err: unknown) => {
          console.error('Shutdown failed', err);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  // A bad setting is the operator's to fix, not a crash: the message names every bad variable, no stack.
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
