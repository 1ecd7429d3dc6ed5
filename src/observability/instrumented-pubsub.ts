import type { AdapterRegistry } from '../channels/adapter-registry';
import type { PubSub } from '../pubsub/pubsub';
import type { Metrics } from './metrics';

/**
 * A PubSub that counts what is published (by event type) and stamps each payload for the fan-out
 * latency histogram, then hands everything to the real one. Wrapping keeps metrics out of every
 * publisher: whatever goes through `deps.pubsub` is counted.
 */
export class InstrumentedPubSub implements PubSub {
  constructor(
    private readonly inner: PubSub,
    private readonly metrics: Metrics,
  ) {}

  publish(topic: string, payload: unknown): Promise<void> {
    this.metrics.published(payload);
    return this.inner.publish(topic, payload);
  }

  subscribe<T>(topic: string): AsyncIterableIterator<T> {
    return this.inner.subscribe<T>(topic);
  }

  async subscribed(topic: string): Promise<void> {
    await this.inner.subscribed?.(topic);
  }

  async ping(): Promise<void> {
    await this.inner.ping?.();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Counts every send attempt by provider and outcome (`sent`, the failure kind, or `error` when the
 * adapter threw) at the one place all sends pass: the adapter the registry hands out. The registry
 * builds a fresh adapter per call, so wrapping its `send` touches no shared object.
 */
export function countSends(registry: AdapterRegistry, metrics: Metrics): void {
  const forInbox = registry.forInbox.bind(registry);
  registry.forInbox = (inbox) => {
    const adapter = forInbox(inbox);
    const send = adapter.send.bind(adapter);
    const count = (outcome: string) => metrics.sends.inc({ provider: inbox.provider, outcome });
    adapter.send = async (...args) => {
      try {
        const result = await send(...args);
        count(result.ok ? 'sent' : result.failure.kind);
        return result;
      } catch (err) {
        count('error');
        throw err;
      }
    };
    return adapter;
  };
}
