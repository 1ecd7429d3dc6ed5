import type { Database } from '../db/orm';
import { OutboxEntry, OutboxState } from '../modules/delivery/outbox-entry.entity';
import type { OutboxProbe } from './metrics';

/**
 * The outbox gauges' queries: one count and one "first due" read, both on the (state,
 * next_attempt_at) index, each in its own fork so a scrape never touches a request's state.
 */
export function outboxProbe(db: Database): OutboxProbe {
  return {
    depth: () => db.em.fork().count(OutboxEntry, { state: OutboxState.PENDING }),
    async oldestDueAt() {
      const first = await db.em
        .fork()
        .findOne(
          OutboxEntry,
          { state: OutboxState.PENDING, nextAttemptAt: { $lte: new Date() } },
          { orderBy: { nextAttemptAt: 'asc' }, fields: ['nextAttemptAt'] },
        );
      return first?.nextAttemptAt ?? null;
    },
  };
}
