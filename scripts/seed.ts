/** `npm run seed` — adds a demo workspace to the configured database and prints a token for its owner. */
import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { initDatabase } from '../src/db/orm';
import { issueToken } from '../src/modules/auth/token.service';
import { seedDemo } from '../src/seed/demo';

async function main(): Promise<void> {
  const db = await initDatabase(loadConfig());
  const demo = await seedDemo(db.em.fork());
  const { token } = await issueToken(db.em.fork(), { tenantId: demo.tenant.id, userId: demo.owner.id, name: 'seed' });
  console.log(`Seeded "${demo.tenant.name}" (${demo.tenant.id}).\nOwner token: ${token}`);
  await db.orm.close(true);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
