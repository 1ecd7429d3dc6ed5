import { EventEmitter } from 'node:events';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import { MemoryPubSub } from '../../src/pubsub/memory-pubsub';

/** A graphql-ws client for tests, connected with a bearer token in connection_init. */
export function wsClient(
  url: string,
  token: string | null,
  opts: { lazy?: boolean; retryAttempts?: number; on?: ClientOptions['on']; connectionParams?: Record<string, unknown> } = {},
): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: opts.lazy ?? true,
    retryAttempts: opts.retryAttempts ?? 0,
    connectionParams: opts.connectionParams ?? (token ? { authorization: `Bearer ${token}` } : {}),
    on: opts.on,
  });
}

/** A bare graphql-transport-ws socket, for protocol-level tests (what the server does before/at connection_init). */
export function rawSocket(url: string): { socket: WebSocket; opened: Promise<void>; closed: Promise<{ code: number; reason: string }> } {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { socket, opened, closed };
}

/**
 * Collects the results of one subscription. `next()` waits for the next result (no sleeps: it
 * resolves on the event itself); `waitFor(pred)` waits until a result matches.
 */
export class SubscriptionCollector<TData> {
  readonly results: ExecutionResult<TData>[] = [];
  private waiters: {
    pred: (r: ExecutionResult<TData>) => boolean;
    resolve: (r: ExecutionResult<TData>) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private readonly dispose: () => void;
  /** Set when the server completed or errored the subscription. */
  ended: { error?: unknown } | null = null;
  private cursor = 0;
  private markEnded!: (e: { error?: unknown }) => void;
  private readonly endedPromise = new Promise<{ error?: unknown }>((resolve) => (this.markEnded = resolve));

  constructor(client: Client, doc: TypedDocumentNode<TData, any> | string, variables?: Record<string, unknown>) {
    this.dispose = client.subscribe<TData>(
      { query: typeof doc === 'string' ? doc : print(doc), variables },
      {
        next: (result) => {
          this.results.push(result as ExecutionResult<TData>);
          this.waiters = this.waiters.filter((w) => {
            if (w.pred(result as ExecutionResult<TData>)) {
              w.resolve(result as ExecutionResult<TData>);
              return false;
            }
            return true;
          });
        },
        error: (error) => {
          this.ended = { error };
          this.markEnded(this.ended);
          for (const w of this.waiters) w.reject(error);
          this.waiters = [];
        },
        complete: () => {
          this.ended = {};
          this.markEnded(this.ended);
          for (const w of this.waiters) w.reject(new Error('subscription completed'));
          this.waiters = [];
        },
      },
    );
  }

  /** The next result not yet returned by next(). */
  next(timeoutMs = 5000): Promise<ExecutionResult<TData>> {
    const index = this.cursor++;
    return this.waitFor((_, i) => i === index, timeoutMs, index);
  }

  /** Resolves with the first result (already received or future) that matches. */
  waitFor(pred: (r: ExecutionResult<TData>, index: number) => boolean, timeoutMs = 5000, from = 0): Promise<ExecutionResult<TData>> {
    for (let i = from; i < this.results.length; i++) if (pred(this.results[i], i)) return Promise.resolve(this.results[i]);
    if (this.ended) return Promise.reject(this.ended.error ?? new Error('subscription completed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching subscription result within ${timeoutMs} ms; got ${JSON.stringify(this.results)}`)),
        timeoutMs,
      );
      let seen = this.results.length;
      this.waiters.push({
        pred: (r) => pred(r, seen++),
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** The error or completion the server ended with (resolves when it happens). */
  ending(timeoutMs = 5000): Promise<{ error?: unknown }> {
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('subscription did not end')), timeoutMs)));
    return Promise.race([this.endedPromise, timeout]).finally(() => clearTimeout(timer));
  }

  stop(): void {
    this.dispose();
  }
}

/**
 * The in-process pub/sub, observable: tests wait for a subscription to be registered on the server
 * (or released) instead of sleeping. Pass it as `pubsub` to startTestServer.
 */
export class TrackingPubSub extends MemoryPubSub {
  private readonly changed = new EventEmitter();

  private readonly opened = new Map<string, number>();

  /** How many subscriptions `topic` ever had (monotonic, unlike subscriberCount). */
  subscriptionsOpened(topic: string): number {
    return this.opened.get(topic) ?? 0;
  }

  override subscribe<T>(topic: string): AsyncIterableIterator<T> {
    this.opened.set(topic, this.subscriptionsOpened(topic) + 1);
    const it = super.subscribe<T>(topic);
    const release = it.return!.bind(it);
    it.return = async (value?: unknown) => {
      const r = await release(value);
      this.changed.emit('change');
      return r;
    };
    this.changed.emit('change');
    return it;
  }

  /** Resolves once `topic` got more than `count` subscriptions in total (see subscriptionsOpened). */
  waitForOpened(topic: string, count: number, timeoutMs = 5000): Promise<void> {
    return this.until(() => this.subscriptionsOpened(topic) > count, `${topic} got no new subscription`, timeoutMs);
  }

  /** Resolves once `topic` has a subscriber count that satisfies `pred`. */
  waitFor(topic: string, pred: (count: number) => boolean, timeoutMs = 5000): Promise<void> {
    return this.until(
      () => pred(this.subscriberCount(topic)),
      `subscriber count of ${topic} stayed at ${this.subscriberCount(topic)}`,
      timeoutMs,
    );
  }

  private until(done: () => boolean, failure: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.changed.off('change', check);
        reject(new Error(failure));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.changed.off('change', check);
        resolve();
      };
      this.changed.on('change', check);
    });
  }
}
