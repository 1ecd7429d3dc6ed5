/** Where a resumable stream picks up, and how it reads what it missed. */
export interface ReplayThenLiveOptions<T> {
  /**
   * Live items, ALREADY subscribed by the caller before this is called, so nothing published while
   * the log is being read is lost. Live delivery is only a hint: items may arrive twice, out of order
   * or not at all (a dropped pub/sub message); the log decides what is emitted.
   */
  live: AsyncIterator<T>;
  /**
   * Committed items with `after < seq <= upTo` (`upTo` null: up to the newest), in ascending seq
   * order, filtered exactly like {@link accept}. Called once for the replay and again whenever live
   * delivery shows a gap. Pulled lazily, one item per item the consumer takes: an async iterable that
   * reads the log a page at a time keeps the stream's memory to one page, however long the replay.
   */
  read: (after: number, upTo: number | null) => AsyncIterable<T> | Iterable<T> | Promise<Iterable<T>>;
  seqOf: (item: T) => number;
  /** Resume after this sequence number (replaying the log first), or null to start with whatever arrives live. */
  after: number | null;
  /** Whether a live item is one this stream wants; rejected items still count as seen. Default: all. */
  accept?: (item: T) => boolean;
  /** Live items held while the consumer is busy; past this they are dropped and later re-read from the log. */
  maxBuffered?: number;
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/** A log read in progress: items are pulled from it only as the consumer asks for them. */
interface Replay<T> {
  items: AsyncIterator<T> | Iterator<T>;
  after: number;
  upTo: number | null;
  /** The highest seq taken from this read so far. */
  last: number;
}

/** No item: the replay ended (or the stream closed) instead. */
const NONE: unique symbol = Symbol('none');

/**
 * A gap-free, duplicate-free, ascending stream: replays the log after `after`, then continues with
 * live items. Sequence numbers must be contiguous in the source (every committed seq is published),
 * which is what lets a jump in live delivery be recognised and filled from the log.
 *
 * Invariant: every seq <= highWater has been emitted or deliberately skipped, and everything a
 * log read in progress has left to give is above every emitted seq, so output is strictly
 * ascending. While a read is in progress it alone feeds the output; highWater moves to its end
 * when it is exhausted.
 */
class ReplayThenLive<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private replay: Replay<T> | null = null;
  private highWater: number | null;
  private droppedUpTo: number | null = null;
  private replayed: boolean;
  private liveEnded = false;
  private liveFailure: { error: unknown } | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly accept: (item: T) => boolean;
  private readonly maxBuffered: number;

  constructor(private readonly o: ReplayThenLiveOptions<T>) {
    this.highWater = o.after;
    this.replayed = o.after === null;
    this.accept = o.accept ?? (() => true);
    this.maxBuffered = Math.max(1, o.maxBuffered ?? 10_000);
    void this.pump();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    // Serialised: each step reads and advances highWater, so two must never interleave.
    const result = this.queue.then(() => this.step());
    this.queue = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<T>> {
    await this.close();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    await this.close();
    throw error;
  }

  /** Pulls live items as soon as they exist (a lazy pub/sub only starts listening on the first pull). */
  private async pump(): Promise<void> {
    try {
      while (!this.closed) {
        const r = await this.o.live.next();
        if (r.done || this.closed) break;
        this.receive(r.value);
      }
    } catch (error) {
      this.liveFailure = { error };
    } finally {
      this.liveEnded = true;
      this.signal();
    }
  }

  private receive(item: T): void {
    const seq = this.o.seqOf(item);
    if (this.highWater === null) this.highWater = seq - 1;
    if (this.buffer.length >= this.maxBuffered) {
      // The consumer is far behind: forget what is held and read it back from the log when it catches up.
      for (const held of [...this.buffer, item]) this.droppedUpTo = Math.max(this.droppedUpTo ?? -Infinity, this.o.seqOf(held));
      this.buffer.length = 0;
    } else {
      this.buffer.push(item);
    }
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async step(): Promise<IteratorResult<T>> {
    try {
      if (!this.replayed) {
        this.replayed = true;
        await this.startRead(this.o.after!, null);
      }
      for (;;) {
        if (this.closed) return DONE;
        if (this.replay) {
          const item = await this.pull(this.replay);
          if (item !== NONE) return { value: item, done: false };
          continue;
        }
        if (this.highWater !== null && this.droppedUpTo !== null) {
          const upTo = this.droppedUpTo;
          this.droppedUpTo = null;
          if (upTo > this.highWater) await this.startRead(this.highWater, upTo);
          continue;
        }
        if (this.buffer.length && this.highWater !== null) {
          const item = this.buffer.shift()!;
          const seq = this.o.seqOf(item);
          if (seq <= this.highWater) continue; // already emitted (replayed, or delivered twice)
          if (seq === this.highWater + 1) {
            this.highWater = seq;
            if (this.accept(item)) return { value: item, done: false };
            continue;
          }
          // Something between highWater and seq has not reached us (reordered or lost): the log has it,
          // because seq is committed and every lower seq committed before it.
          await this.startRead(this.highWater, seq);
          continue;
        }
        if (this.liveEnded) {
          await this.close();
          if (this.liveFailure) throw this.liveFailure.error;
          return DONE;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Starts reading (after, upTo] from the log; {@link pull} takes its items one at a time. */
  private async startRead(after: number, upTo: number | null): Promise<void> {
    const source = await this.o.read(after, upTo);
    const items =
      Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
    if (this.closed) {
      void Promise.resolve(items.return?.()).catch(() => undefined);
      return;
    }
    this.replay = { items, after, upTo, last: after };
  }

  /**
   * The next item of the read in progress, or NONE once it is exhausted: then everything up to
   * `upTo` (or the last item read) counts as seen.
   */
  private async pull(replay: Replay<T>): Promise<T | typeof NONE> {
    for (;;) {
      const r = await replay.items.next();
      if (this.closed) return NONE;
      if (r.done) {
        this.replay = null;
        this.highWater = Math.max(this.highWater ?? replay.after, replay.upTo ?? replay.last);
        return NONE;
      }
      const seq = this.o.seqOf(r.value);
      if (seq <= replay.last || (replay.upTo !== null && seq > replay.upTo)) continue;
      replay.last = seq;
      return r.value;
    }
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buffer.length = 0;
    const replay = this.replay;
    this.replay = null;
    // Not awaited: an async generator finishes a read in flight before it returns, and return()
    // must not wait for the database.
    if (replay) void Promise.resolve(replay.items.return?.()).catch(() => undefined);
    this.signal();
    await this.o.live.return?.();
  }
}

/**
 * Resumable subscription core: subscribe to live delivery FIRST (the caller passes the already
 * subscribed iterator), then replay the log after the cursor, then continue live, skipping what was
 * already emitted and filling any gap in live delivery from the log. Output is strictly ascending by
 * seq with no duplicates and no gaps (relative to `read`). `return()` unsubscribes the live source.
 */
export function replayThenLive<T>(options: ReplayThenLiveOptions<T>): AsyncIterableIterator<T> {
  return new ReplayThenLive(options);
}
