import 'reflect-metadata';
import { loadConfig } from './config';
import { initDatabase } from './db/orm';
import { Tenant } from './modules/tenant/tenant.entity';
import { seedDemo } from './seed/demo';
import { ensureDemoToken } from './seed/demo-token';
import { createServer } from './server';

/** `npm start`: migrate, seed the demo workspace on an empty database, serve, print how to get in. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await initDatabase(config);
  const em = db.em.fork();
  if (config.seedDemo && (await em.count(Tenant, {})) === 0) {
    await seedDemo(em);
    console.log('Seeded the demo workspace "Acme Demo".');
  }
  const token = config.seedDemo ? await ensureDemoToken(db.em.fork(), config.dataDir) : null;
  const server = await createServer(config, {
    db,
    playgroundHeaders: token ? { Authorization: `Bearer ${token}` } : undefined,
  });
  console.log(`Switchboard is serving GraphQL at ${server.url}`);
  console.log(`Playground: open ${server.url} (or ${server.origin}/playground) in a browser`);
  console.log(`Database: ${db.dialect}${db.dialect === 'sqlite' ? ` (${config.databaseUrl.replace(/^file:/, '')})` : ''}`);
  if (token) console.log(`Demo token (owner of "Acme Demo"): ${token}`);

  const shutdown = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    await server.close();
    await db.orm.close(true);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
