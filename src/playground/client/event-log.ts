/**
 * What the playground's subscription log holds: every value a subscription delivered, with the
 * moments it started and ended. GraphiQL's response pane shows only the latest value, so a quick
 * SENT → DELIVERED → READ sequence would otherwise flash by with only READ left to see.
 *
 * Framework-free (no React, no DOM) so the rules can be read and tested on their own; the panel
 * subscribes with `useSyncExternalStore`.
 */

/** What happened; `event` carries a delivered value, the others mark the subscription's life. */
export type LogEntryKind = 'started' | 'event' | 'error' | 'completed' | 'stopped';

/** One line of the log. */
export interface LogEntry {
  /** Increasing within one log, never reused (also after `clear`): a stable React key. */
  id: number;
  kind: LogEntryKind;
  /** When the browser received it (ms since the epoch). */
  at: number;
  /** Which subscription: its operation name, or `subscription #n` for an anonymous one. */
  operation: string;
  /** The delivered value or error, as sent; absent for the life-cycle markers. */
  payload?: unknown;
}

/** The log's state as the panel renders it; a new object after every change. */
export interface LogSnapshot {
  entries: readonly LogEntry[];
  /** Entries dropped from the front since the last clear because the log was full. */
  dropped: number;
}

/** A bounded, observable list of {@link LogEntry}, oldest first. */
export interface EventLog {
  add(kind: LogEntryKind, operation: string, payload?: unknown): void;
  clear(): void;
  /** Registers a change listener; returns its removal (the `useSyncExternalStore` contract). */
  subscribe(listener: () => void): () => void;
  getSnapshot(): LogSnapshot;
}

/** Enough for a long session of watching an inbox, bounded so a busy tenant cannot exhaust the tab. */
export const DEFAULT_LOG_LIMIT = 500;

/**
 * Creates an empty log keeping at most `limit` entries; the oldest go first when it is full.
 *
 * @param now - Clock, replaceable so tests need not depend on the wall time.
 */
export function createEventLog(limit: number = DEFAULT_LOG_LIMIT, now: () => number = Date.now): EventLog {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`event log limit must be a positive integer, got ${limit}`);
  let snapshot: LogSnapshot = { entries: [], dropped: 0 };
  let nextId = 1;
  const listeners = new Set<() => void>();
  const publish = (next: LogSnapshot) => {
    snapshot = next;
    for (const listener of [...listeners]) listener();
  };
  return {
    add(kind, operation, payload) {
      const entry: LogEntry = { id: nextId++, kind, at: now(), operation, ...(payload === undefined ? {} : { payload }) };
      const entries = [...snapshot.entries, entry];
      const overflow = Math.max(0, entries.length - limit);
      publish({ entries: overflow ? entries.slice(overflow) : entries, dropped: snapshot.dropped + overflow });
    },
    clear() {
      if (snapshot.entries.length === 0 && snapshot.dropped === 0) return;
      publish({ entries: [], dropped: 0 });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
  };
}

/** `HH:MM:SS.mmm` in local time: events of one delivery arrive milliseconds apart. */
export function formatLogTime(at: number): string {
  const date = new Date(at);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** The label a reader scans the log by, per kind. */
export const LOG_KIND_LABEL: Record<LogEntryKind, string> = {
  started: 'subscribed',
  event: 'event',
  error: 'error',
  completed: 'completed',
  stopped: 'stopped',
};
