/**
 * Topic-based publish/subscribe between the code that commits changes and the subscriptions that
 * stream them. Payloads must be small and JSON-serialisable so that a Redis implementation can
 * carry them between server instances unchanged.
 */
export interface PubSub {
  /** Resolves once every local subscriber has the payload queued (and, for Redis, once it is sent). */
  publish(topic: string, payload: unknown): Promise<void>;
  /** An async iterator of payloads published to `topic` after the call; `return()` unsubscribes. */
  subscribe<T>(topic: string): AsyncIterableIterator<T>;
  close(): Promise<void>;
  /**
   * Resolves once the subscriptions made so far to `topic` receive everything published from now
   * on. In-process delivery is immediate and needs none; a networked one (Redis) confirms its
   * subscription asynchronously, and a reader must not read the log before that.
   */
  subscribed?(topic: string): Promise<void>;
  /**
   * Rejects when the transport cannot carry messages (e.g. Redis unreachable); `/readyz` calls it.
   * In-process implementations need not have one.
   */
  ping?(): Promise<void>;
}

/** Topic names in one place, so publishers and subscribers cannot drift apart. */
export const Topics = {
  tenant: (tenantId: string) => `tenant:${tenantId}`,
  /** "Some token, user or membership changed: check your open sockets" (no payload needed). */
  accessChanges: 'access-changes',
} as const;
