import type { PubSub } from './pubsub';

/**
 * In-process pub/sub, the embedded default. Each subscriber has its own unbounded queue; a slow
 * subscriber never blocks a publisher or the other subscribers.
 */
export class MemoryPubSub implements PubSub {
  private readonly topics = new Map<string, Set<(payload: unknown) => void>>();

  async publish(topic: string, payload: unknown): Promise<void> {
    for (const deliver of this.topics.get(topic) ?? []) deliver(payload);
  }

  subscribe<T>(topic: string): AsyncIterableIterator<T> {
    const queue: T[] = [];
    let wake: ((r: IteratorResult<T>) => void) | null = null;
    let done = false;
    const deliver = (payload: unknown) => {
      if (wake) {
        const w = wake;
        wake = null;
        w({ value: payload as T, done: false });
      } else queue.push(payload as T);
    };
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(deliver);
    const stop = () => {
      done = true;
      const s = this.topics.get(topic);
      s?.delete(deliver);
      if (s && s.size === 0) this.topics.delete(topic);
      if (wake) wake({ value: undefined, done: true });
      wake = null;
    };
    return {
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (wake = resolve));
      },
      return: () => {
        stop();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (err) => {
        stop();
        return Promise.reject(err);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Number of live subscriptions (tests check that unsubscribing really frees them). */
  subscriberCount(topic?: string): number {
    if (topic) return this.topics.get(topic)?.size ?? 0;
    let n = 0;
    for (const s of this.topics.values()) n += s.size;
    return n;
  }

  async close(): Promise<void> {
    this.topics.clear();
  }
}
