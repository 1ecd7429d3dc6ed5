import { registerQuerySuite } from './suites/query-suite';
import { startTestServer } from './helpers/server';

registerQuerySuite('queries on the embedded SQLite', () => startTestServer());
