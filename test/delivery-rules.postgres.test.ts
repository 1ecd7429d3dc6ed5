import { registerDeliveryRulesSuite } from './suites/delivery-rules-suite';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer } from './helpers/server';

/** The delivery rules on PostgreSQL: two workers really claim in parallel (SKIP LOCKED), order and limits still hold. */
registerDeliveryRulesSuite('delivery rules (PostgreSQL, two workers)', async (opts) => {
  const why = await postgresUnavailable();
  if (why) {
    console.log(`# SKIP PostgreSQL delivery rules suite: ${why}`);
    return null;
  }
  return startTestServer({ ...opts, dialect: 'postgres' });
});
