import { registerQuerySuite } from './suites/query-suite';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer } from './helpers/server';

/** The same query suite on PostgreSQL: migrations applied to a fresh database on the local server. */
registerQuerySuite('queries on PostgreSQL', async () => {
  const why = await postgresUnavailable();
  if (why) {
    console.log(`# SKIP PostgreSQL suite: ${why}`);
    return null;
  }
  return startTestServer({ dialect: 'postgres' });
});
