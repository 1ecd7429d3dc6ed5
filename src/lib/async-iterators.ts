/** Returned by a {@link mapAsyncIterator} callback to drop an item. */
export const SKIP: unique symbol = Symbol('skip');

/**
 * Maps (and filters, by returning {@link SKIP}) an async iterator one item at a time. Unlike an
 * `async function*`, `return()` takes effect at once even while a `next()` is waiting on the source
 * (an idle subscription must be cancellable), and the source is released when the callback throws.
 */
export function mapAsyncIterator<T, U>(
  source: AsyncIterator<T>,
  fn: (item: T) => U | typeof SKIP | Promise<U | typeof SKIP>,
): AsyncIterableIterator<U> {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await source.return?.();
  };
  return {
    async next(): Promise<IteratorResult<U>> {
      try {
        for (;;) {
          if (closed) return { value: undefined, done: true };
          const r = await source.next();
          if (r.done || closed) {
            closed = true;
            return { value: undefined, done: true };
          }
          const mapped = await fn(r.value);
          if (mapped !== SKIP) return { value: mapped, done: false };
        }
      } catch (error) {
        await close();
        throw error;
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await close();
      return { value: undefined, done: true };
    },
    async throw(error: unknown): Promise<IteratorResult<U>> {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** `first`, then everything `rest` yields; `return()` releases `rest` even before it was reached. */
export function prependAsyncIterator<T>(first: T, rest: AsyncIterator<T>): AsyncIterableIterator<T> {
  let sent = false;
  let closed = false;
  return {
    async next(): Promise<IteratorResult<T>> {
      if (closed) return { value: undefined, done: true };
      if (!sent) {
        sent = true;
        return { value: first, done: false };
      }
      return rest.next();
    },
    async return(): Promise<IteratorResult<T>> {
      closed = true;
      await rest.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown): Promise<IteratorResult<T>> {
      closed = true;
      await rest.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
