import { registerDeliverySuite } from './suites/delivery-suite';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer } from './helpers/server';

/** The same delivery suite on PostgreSQL, where concurrent callbacks really run in parallel (row locks). */
registerDeliverySuite('delivery through the sandbox provider (PostgreSQL)', async (opts) => {
  const why = await postgresUnavailable();
  if (why) {
    console.log(`# SKIP PostgreSQL delivery suite: ${why}`);
    return null;
  }
  return startTestServer({ ...opts, dialect: 'postgres' });
});
