import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client for tests, connected with a bearer token in connection_init. */
export function wsClient(url: string, token: string | null, opts: { lazy?: boolean; retryAttempts?: number } = {}): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    lazy: opts.lazy ?? true,
    retryAttempts: opts.retryAttempts ?? 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/**
 * Collects the results of one subscription. `next()` waits for the next result (no sleeps: it
 * resolves on the event itself); `waitFor(pred)` waits until a result matches.
 */
export class SubscriptionCollector<TData> {
  readonly results: ExecutionResult<TData>[] = [];
  private waiters: { pred: (r: ExecutionResult<TData>) => boolean; resolve: (r: ExecutionResult<TData>) => void; reject: (e: unknown) => void }[] = [];
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
      const timer = setTimeout(() => reject(new Error(`no matching subscription result within ${timeoutMs} ms; got ${JSON.stringify(this.results)}`)), timeoutMs);
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
