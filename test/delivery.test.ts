import { registerDeliverySuite } from './suites/delivery-suite';
import { startTestServer } from './helpers/server';

/** Outbound delivery and status callbacks on the embedded SQLite database. */
registerDeliverySuite('delivery through the sandbox provider (SQLite)', (opts) => startTestServer(opts));
