/** `npm run migrate` — applies pending migrations to the configured database (npm start does this too). */
import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { initDatabase } from '../src/db/orm';

async function main(): Promise<void> {
  const db = await initDatabase(loadConfig());
  const executed = await db.orm.getMigrator().getExecutedMigrations();
  console.log(`${db.dialect}: ${executed.length} migrations applied, schema is current.`);
  await db.orm.close(true);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
