/**
 * The server under test of the fan-out benchmark, in a process of its own (started by
 * bench/fanout.ts): the real `createServer` against the benchmark database, so its CPU and memory
 * can be read without the sender's and the clients' work mixed in.
 */
import 'reflect-metadata';
import type { LogContext } from '@mikro-orm/core';
import type { Config } from '../src/config';
import { MemoryPubSub } from '../src/pubsub/memory-pubsub';
import { createServer, type RunningServer } from '../src/server';
import { serveParent } from './lib/child-process';
import type { StatsArgs } from './lib/fanout-protocol';
import { monitorLoop, readServerStats } from './lib/fanout-stats';

let server: RunningServer | null = null;
// Passed in (rather than the server's own) so the benchmark can count live subscriptions.
const pubsub = new MemoryPubSub();
let sqlStatements = 0;
const loop = monitorLoop();

/**
 * Counts every SQL statement the process issues. The ORM's logger is asked about every query (its
 * `query` namespace is always on), but counts only inside a per-request store, which websocket work
 * does not run in (an upgraded socket does not carry the listening server's async context); so the
 * instance's logQuery is wrapped here, in this process only.
 */
function countStatements(running: RunningServer): void {
  const logger = running.deps.db.orm.config.getLogger();
  const logQuery = logger.logQuery.bind(logger);
  logger.logQuery = (context: { query: string } & LogContext) => {
    if (context.level !== 'error') sqlStatements++;
    logQuery(context);
  };
}

serveParent({
  start: async (config: Config) => {
    if (server) throw new Error('already started');
    server = await createServer(config, { pubsub });
    countStatements(server);
    return { origin: server.origin, url: server.url };
  },
  stats: (args: StatsArgs | null) => readServerStats({ subscribers: pubsub.subscriberCount(), sqlStatements, loop }, args),
  close: async () => {
    await server?.close();
    server = null;
  },
});
