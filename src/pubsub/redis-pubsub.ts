import { Redis } from 'ioredis';
import { fallbackLogger, type Logger } from '../observability/logger';
import { MemoryPubSub } from './memory-pubsub';
import type { PubSub } from './pubsub';

/** Options of {@link RedisPubSub}. */
export interface RedisPubSubOptions {
  /** Prepended to every topic to form the Redis channel, so several deployments can share one Redis. */
  channelPrefix?: string;
  logger?: Logger;
}

/** Channel names start with this unless told otherwise. */
export const DEFAULT_CHANNEL_PREFIX = 'switchboard:';

/**
 * Pub/sub between server instances through Redis (REDIS_URL). Publishing is one `PUBLISH` of the
 * JSON payload on the publisher connection; every instance holds ONE subscriber connection that
 * multiplexes the topics its local subscribers want (a channel is `SUBSCRIBE`d while at least one
 * local subscriber listens) and fans each message out in-process through a {@link MemoryPubSub}.
 *
 * Live delivery is a hint, not the record: the event log is. A message lost while Redis is
 * unreachable shows up as a gap at the next event and is read from the log (replay-then-live), so
 * publish never fails a committed change: it logs and resolves. ioredis reconnects with backoff and
 * re-subscribes every channel by itself (`autoResubscribe`).
 */
export class RedisPubSub implements PubSub {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly local = new MemoryPubSub();
  /** The pending or done `SUBSCRIBE` of each channel with local subscribers. */
  private readonly subscriptions = new Map<string, Promise<void>>();
  private readonly prefix: string;
  private readonly logger: Logger;
  private closed = false;

  constructor(url: string, options: RedisPubSubOptions = {}) {
    this.prefix = options.channelPrefix ?? DEFAULT_CHANNEL_PREFIX;
    this.logger = options.logger ?? fallbackLogger('redis-pubsub');
    // A publish waits at most one reconnect attempt: live delivery must not hold up a committed change.
    this.publisher = new Redis(url, { maxRetriesPerRequest: 1, connectionName: 'switchboard-pub' });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'switchboard-sub' });
    for (const [role, connection] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      // Without a listener ioredis prints every failed reconnect to stderr; it keeps retrying either way.
      connection.on('error', (err: Error) => {
        if (!this.closed) this.logger.warn({ err: err.message, role }, 'redis connection error');
      });
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      if (!channel.startsWith(this.prefix)) return;
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        this.logger.warn({ channel }, 'redis message is not JSON; ignored');
        return;
      }
      void this.local.publish(channel.slice(this.prefix.length), payload);
    });
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    try {
      await this.publisher.publish(this.prefix + topic, JSON.stringify(payload));
    } catch (err) {
      // The change is committed and in the log; subscribers fill the gap from it at the next event.
      this.logger.warn({ err: (err as Error).message, topic }, 'redis publish failed; subscribers will read the event from the log');
    }
  }

  subscribe<T>(topic: string): AsyncIterableIterator<T> {
    const inner = this.local.subscribe<T>(topic);
    const channel = this.prefix + topic;
    if (!this.subscriptions.has(channel)) {
      const subscribed = this.subscriber.subscribe(channel).then(
        () => undefined,
        (err: Error) => {
          // ioredis re-subscribes once reconnected; until then live delivery is missing, the log is not.
          this.logger.warn({ err: err.message, channel }, 'redis subscribe failed');
        },
      );
      this.subscriptions.set(channel, subscribed);
    }
    const release = () => {
      if (this.local.subscriberCount(topic) > 0 || !this.subscriptions.has(channel)) return;
      this.subscriptions.delete(channel);
      if (!this.closed) this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
    return {
      next: () => inner.next(),
      return: async () => {
        const result = await inner.return!();
        release();
        return result;
      },
      throw: async (err) => {
        release();
        return inner.throw!(err);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /**
   * Resolves once Redis confirmed the channel of `topic`, so everything published from now on
   * reaches this instance's subscribers (a stream reads the log only after this, or it could miss
   * an event committed between its read and the `SUBSCRIBE`).
   */
  async subscribed(topic: string): Promise<void> {
    await this.subscriptions.get(this.prefix + topic);
  }

  /** Rejects unless both connections are up (`/readyz`). */
  async ping(): Promise<void> {
    if (this.subscriber.status !== 'ready') throw new Error(`redis subscriber connection is ${this.subscriber.status}`);
    await this.publisher.ping();
  }

  /** Number of local subscriptions (tests check that unsubscribing frees them). */
  subscriberCount(topic?: string): number {
    return this.local.subscriberCount(topic);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.local.close();
    await Promise.all([this.publisher.quit().catch(() => undefined), this.subscriber.quit().catch(() => undefined)]);
  }
}
