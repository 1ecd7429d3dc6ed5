/**
 * A server process waiting in the wings: it loads (and compiles) everything `src/main.ts` needs at
 * once, then runs it when a line arrives on stdin. The fault harness keeps one ready, so the
 * restart after a `kill -9` costs the start-up itself, not seconds of module loading.
 */
import 'reflect-metadata';
import '../../src/config';
import '../../src/db/orm';
import '../../src/modules/tenant/tenant.entity';
import '../../src/seed/demo';
import '../../src/seed/demo-token';
import '../../src/server';

process.stdin.once('data', () => {
  process.stdin.pause();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../src/main');
});
