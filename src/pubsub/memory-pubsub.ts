import type { PubSub } from './pubsub';

/**
 * In-process pub/sub, the embedded default. Each subscriber has its own unbounded queue; a slow
 * subscriber never blocks a publisher or the other subscribers. A topic with more subscribers than
 * `batchSize` gets each payload over several event-loop turns (in publish order for every subscriber),
 * so a fan-out to thousands of sockets does not stall the process for its whole length.
 */
export class MemoryPubSub implements PubSub {
  private readonly topics = new Map<string, Set<(payload: unknown) => void>>();
  /** Publications still being handed out in batches; later ones wait, so every subscriber sees publish order. */
  private backlog: Promise<void> | null = null;

  /**
   * @param batchSize Subscribers handed a payload per turn of the event loop. Each delivery sets off
   *   its subscriber's whole pipeline (re-authorisation, execution, socket write) in microtasks, so
   *   handing one payload to thousands at once would hold the loop for the whole fan-out; between
   *   batches it yields (setImmediate) to sockets, timers and other requests.
   */
  constructor(private readonly batchSize = 250) {}

  async publish(topic: string, payload: unknown): Promise<void> {
    const subscribers = this.topics.get(topic);
    if (!subscribers?.size) return;
    if (!this.backlog && subscribers.size <= this.batchSize) {
      for (const deliver of subscribers) deliver(payload);
      return;
    }
    // Who was subscribed at publish time; one that unsubscribed before its batch is skipped.
    const targets = [...subscribers];
    const run = (this.backlog ?? Promise.resolve()).then(() => this.deliverInBatches(subscribers, targets, payload));
    this.backlog = run;
    void run.then(() => {
      if (this.backlog === run) this.backlog = null;
    });
    return run;
  }

  private async deliverInBatches(live: Set<(payload: unknown) => void>, targets: ((payload: unknown) => void)[], payload: unknown) {
    for (let i = 0; i < targets.length; i += this.batchSize) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(targets.length, i + this.batchSize);
      for (let j = i; j < end; j++) if (live.has(targets[j])) targets[j](payload);
    }
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
