import { registerDeliveryRulesSuite } from './suites/delivery-rules-suite';
import { startTestServer } from './helpers/server';

/** Per-conversation order and throughput limits with two workers on one SQLite file. */
registerDeliveryRulesSuite('delivery rules (SQLite, two workers)', (opts) => startTestServer(opts));
