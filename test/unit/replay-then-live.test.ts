import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { replayThenLive } from '../../src/modules/event/replay-then-live';
import { mapAsyncIterator, prependAsyncIterator, SKIP } from '../../src/lib/async-iterators';

interface Item {
  seq: number;
  tag?: string;
}

/** A hand-driven live source: push/end/fail, and records whether it was released. */
class Channel implements AsyncIterator<Item> {
  private queue: Item[] = [];
  private waiting: ((r: IteratorResult<Item>) => void) | null = null;
  private ended = false;
  returned = false;
  pulls = 0;

  push(...items: Item[]): void {
    for (const item of items) {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w({ value: item, done: false });
      } else this.queue.push(item);
    }
  }

  end(): void {
    this.ended = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  next(): Promise<IteratorResult<Item>> {
    this.pulls++;
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.ended || this.returned) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async return(): Promise<IteratorResult<Item>> {
    this.returned = true;
    this.end();
    return { value: undefined, done: true };
  }
}

/** A log the tests append to; reads are recorded so a test can tell when the log was consulted. */
class Log {
  readonly items: Item[] = [];
  readonly reads: { after: number; upTo: number | null }[] = [];
  gate: Promise<void> | null = null;

  append(n: number): Item[] {
    const start = this.items.length + 1;
    const added = Array.from({ length: n }, (_, i) => ({ seq: start + i }));
    this.items.push(...added);
    return added;
  }

  read = async (after: number, upTo: number | null): Promise<Item[]> => {
    this.reads.push({ after, upTo });
    if (this.gate) await this.gate;
    return this.items.filter((i) => i.seq > after && (upTo === null || i.seq <= upTo));
  };
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const seqs = (items: Item[]) => items.map((i) => i.seq);

describe('replayThenLive', () => {
  test('replays the log after the cursor, then goes live without repeating what was published during the replay', async () => {
    const log = new Log();
    log.append(5);
    const live = new Channel();
    let release!: () => void;
    log.gate = new Promise((r) => (release = r));
    const it = replayThenLive({ live, read: log.read, seqOf: (i) => i.seq, after: 2 });
    const first = take(it, 4);
    // Published while the replay read is in flight: 4 and 5 are already in the log, 6 is new.
    await new Promise((r) => setImmediate(r));
    live.push({ seq: 4 }, { seq: 5 });
    log.append(1);
    live.push({ seq: 6 });
    release();
    assert.deepEqual(seqs(await first), [3, 4, 5, 6]);
    assert.deepEqual(log.reads, [{ after: 2, upTo: null }]);
  });

  test('fills a gap in live delivery from the log (a message published late or lost), then skips the late copy', async () => {
    const log = new Log();
    log.append(3);
    const live = new Channel();
    const it = replayThenLive({ live, read: log.read, seqOf: (i) => i.seq, after: 3 });
    const first = it.next(); // the replay (nothing after 3 yet) runs, then it waits for live items
    await new Promise((r) => setImmediate(r));
    log.append(3); // 4, 5, 6 committed
    live.push({ seq: 4 }, { seq: 6 }); // 5 is late
    assert.deepEqual((await first).value, { seq: 4 });
    assert.deepEqual(seqs(await take(it, 2)), [5, 6]);
    assert.deepEqual(log.reads.at(-1), { after: 4, upTo: 6 });
    live.push({ seq: 5 }); // the late copy
    log.append(1);
    live.push({ seq: 7 });
    assert.deepEqual(seqs(await take(it, 1)), [7]);
  });

  test('items the stream does not accept still count as seen: no log read for them', async () => {
    const log = new Log();
    const live = new Channel();
    const it = replayThenLive({ live, read: log.read, seqOf: (i) => i.seq, after: 0, accept: (i) => i.tag === 'mine' });
    live.push({ seq: 1, tag: 'other' }, { seq: 2, tag: 'mine' }, { seq: 3, tag: 'other' }, { seq: 4, tag: 'mine' });
    assert.deepEqual(seqs(await take(it, 2)), [2, 4]);
    assert.equal(log.reads.length, 1, 'only the initial replay read');
  });

  test('with no cursor it starts with the first live item and never reads the log', async () => {
    const log = new Log();
    log.append(10);
    const live = new Channel();
    const it = replayThenLive({ live, read: log.read, seqOf: (i) => i.seq, after: null });
    live.push({ seq: 11 }, { seq: 12 });
    assert.deepEqual(seqs(await take(it, 2)), [11, 12]);
    assert.equal(log.reads.length, 0);
  });

  test('return() ends a waiting next() at once and releases the live source', async () => {
    const live = new Channel();
    const it = replayThenLive({ live, read: async () => [], seqOf: (i: Item) => i.seq, after: 0 });
    const pending = it.next();
    await new Promise((r) => setImmediate(r));
    await it.return!();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(live.returned, true);
  });

  test('a slow consumer past maxBuffered loses nothing: the dropped items are read back from the log', async () => {
    const log = new Log();
    const live = new Channel();
    const it = replayThenLive({ live, read: log.read, seqOf: (i) => i.seq, after: 0, maxBuffered: 2 });
    const first = it.next();
    await new Promise((r) => setImmediate(r));
    live.push(...log.append(1));
    assert.deepEqual((await first).value, { seq: 1 });
    // Nobody is reading now: 2..8 arrive and overflow the buffer of 2.
    for (const item of log.append(7)) live.push(item);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seqs(await take(it, 7)), [2, 3, 4, 5, 6, 7, 8]);
    assert.ok(
      log.reads.some((r) => r.upTo !== null),
      'the dropped range came from the log',
    );
  });

  test('a failing log read ends the stream with the error and releases the live source', async () => {
    const live = new Channel();
    const it = replayThenLive({ live, read: async () => Promise.reject(new Error('db down')), seqOf: (i: Item) => i.seq, after: 1 });
    await assert.rejects(it.next(), /db down/);
    assert.equal(live.returned, true);
  });

  test('the live source ending ends the stream after what it already delivered', async () => {
    const live = new Channel();
    const it = replayThenLive({ live, read: async () => [], seqOf: (i: Item) => i.seq, after: 0 });
    live.push({ seq: 1 });
    live.end();
    assert.deepEqual(seqs(await take(it, 5)), [1]);
  });

  test('a long replay is pulled a page at a time: at most a page of the log is held ahead of the consumer', async () => {
    const PAGE = 200;
    const TOTAL = 50_000;
    let yielded = 0;
    let released = false;
    // Like the event stream's read: one query per page, rows yielded one by one.
    async function* read(after: number, upTo: number | null): AsyncGenerator<Item> {
      try {
        let cursor = after;
        for (;;) {
          const end = Math.min(upTo ?? TOTAL, cursor + PAGE);
          const page = Array.from({ length: Math.max(0, end - cursor) }, (_, i) => ({ seq: cursor + i + 1 }));
          for (const item of page) {
            yielded++;
            yield item;
          }
          if (page.length < PAGE) return;
          cursor = end;
        }
      } finally {
        released = true;
      }
    }
    const live = new Channel();
    const it = replayThenLive({ live, read, seqOf: (i) => i.seq, after: 0 });
    assert.deepEqual((await it.next()).value, { seq: 1 });
    assert.ok(yielded <= PAGE, `${yielded} log items were read before the first one was emitted`);
    let ahead = 0;
    for (let seq = 2; seq <= TOTAL; seq++) {
      const r = await it.next();
      if (r.value?.seq !== seq) assert.fail(`expected ${seq}, got ${JSON.stringify(r)}`);
      ahead = Math.max(ahead, yielded - seq);
    }
    assert.ok(ahead <= PAGE, `up to ${ahead} log items were held ahead of the consumer`);
    live.push({ seq: TOTAL + 1 });
    assert.deepEqual((await it.next()).value, { seq: TOTAL + 1 });
    assert.equal(released, true, 'the read ran to its end');
    await it.return!();
  });

  test('return() in the middle of a replay releases the log read', async () => {
    let released = false;
    async function* read(after: number): AsyncGenerator<Item> {
      try {
        for (let seq = after + 1; seq <= 1000; seq++) yield { seq };
      } finally {
        released = true;
      }
    }
    const live = new Channel();
    const it = replayThenLive({ live, read, seqOf: (i) => i.seq, after: 0 });
    assert.deepEqual(seqs(await take(it, 3)), [1, 2, 3]);
    await it.return!();
    await new Promise((r) => setImmediate(r));
    assert.equal(released, true);
    assert.equal(live.returned, true);
    assert.deepEqual(await it.next(), { value: undefined, done: true });
  });

  test('randomised: duplicates, reordering and drops in live delivery never change the output', async () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const log = new Log();
      log.append(Math.floor(random() * 5));
      const after = Math.floor(random() * (log.items.length + 1));
      const live = new Channel();
      const accept = (i: Item) => i.seq % 3 !== 0;
      // The log read applies the same filter as `accept`, as the event stream's SQL does.
      const read = async (a: number, upTo: number | null) => (await log.read(a, upTo)).filter(accept);
      const it = replayThenLive({ live, read, seqOf: (i) => i.seq, after, accept, maxBuffered: 4 });
      const total = log.items.length + 20;
      const expected = Array.from({ length: total - after }, (_, i) => after + i + 1).filter((n) => n % 3 !== 0);
      const consumer = take(it, expected.length);
      let pending: Item[] = [];
      while (log.items.length < total) {
        pending.push(...log.append(1));
        if (random() < 0.5) {
          pending.sort(() => random() - 0.5);
          for (const item of pending) {
            if (random() < 0.1) continue; // lost
            live.push(item);
            if (random() < 0.1) live.push(item); // duplicated
          }
          pending = [];
        }
        if (random() < 0.3) await new Promise((r) => setImmediate(r));
      }
      for (const item of pending) live.push(item);
      // Whatever was lost at the very end only shows up once something newer arrives.
      log.append(1);
      live.push(log.items.at(-1)!);
      const got = seqs(await consumer);
      assert.deepEqual(got, expected, `round ${round}`);
      await it.return!();
    }
  });
});

describe('mapAsyncIterator / prependAsyncIterator', () => {
  test('maps, skips, and return() releases the source even while a next() waits', async () => {
    const live = new Channel();
    const mapped = mapAsyncIterator(live, (i) => (i.seq % 2 ? SKIP : i.seq * 10));
    live.push({ seq: 1 }, { seq: 2 });
    assert.deepEqual(await mapped.next(), { value: 20, done: false });
    const pending = mapped.next();
    await mapped.return!();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(live.returned, true);
  });

  test('a throwing callback rejects and releases the source', async () => {
    const live = new Channel();
    const mapped = mapAsyncIterator(live, () => {
      throw new Error('nope');
    });
    live.push({ seq: 1 });
    await assert.rejects(mapped.next(), /nope/);
    assert.equal(live.returned, true);
  });

  test('prepend yields the first item, then the rest; return() releases the rest', async () => {
    const live = new Channel();
    const it = prependAsyncIterator({ seq: 0 }, live);
    live.push({ seq: 1 });
    assert.deepEqual(seqs(await take(it, 2)), [0, 1]);
    await it.return!();
    assert.equal(live.returned, true);
  });
});
