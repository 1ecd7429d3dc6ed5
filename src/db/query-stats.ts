import { AsyncLocalStorage } from 'node:async_hooks';
import { DefaultLogger, type LogContext, type LoggerNamespace, type LoggerOptions } from '@mikro-orm/core';

/** SQL issued while serving one request (or one subscription event). */
export interface QueryStats {
  count: number;
  /** Filled only when a caller asks for the statements themselves (the benchmark replays them). */
  statements?: string[];
}

/**
 * Carries the current request's QueryStats through every await, so the ORM's logger can count
 * statements per request without threading anything through services.
 */
export const queryStatsStorage = new AsyncLocalStorage<QueryStats>();

/**
 * MikroORM logger that always counts queries (cheaply) and prints them only when SQL logging is on.
 */
export class CountingLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly printSql: boolean,
  ) {
    super(options);
  }

  override logQuery(context: { query: string } & LogContext): void {
    const stats = queryStatsStorage.getStore();
    if (stats && context.level !== 'error') {
      stats.count++;
      stats.statements?.push(context.query);
    }
    if (this.printSql) super.logQuery({ ...context, enabled: true });
  }

  override isEnabled(namespace: LoggerNamespace, context?: LogContext): boolean {
    // The ORM only calls logQuery when 'query' is enabled; counting needs it on always.
    if (namespace === 'query') return true;
    // With 'query-params' on, the ORM logs the SQL it actually executes (values inlined), which is
    // what a caller capturing statements wants to replay; plain counting keeps the cheaper path.
    if (namespace === 'query-params' && queryStatsStorage.getStore()?.statements) return true;
    return super.isEnabled(namespace, context);
  }
}
