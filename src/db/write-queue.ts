/**
 * One writer at a time, first come first served. SQLite has a single write lock per file; letting
 * every transaction of the process race for it means busy-waiting, "database is locked" errors and
 * unfair waits. Queueing in the process instead hands the lock from one transaction to the next
 * without a retry, and only the head of the queue ever competes with other processes.
 */
export class WriteQueue {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  /**
   * @param timeoutMs how long `acquire` waits before failing. Bounded so that a write transaction
   *   opened on another EntityManager inside a write transaction (which waits for itself) fails
   *   with a clear error instead of hanging the request for good.
   */
  constructor(private readonly timeoutMs: number) {}

  /** Writers holding or waiting for the queue. */
  get length(): number {
    return this.waiters.length + (this.held ? 1 : 0);
  }

  /** Waits for this writer's turn; the returned function hands the turn on (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    if (!this.held) {
      this.held = true;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(grant);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(
          new Error(
            `Waited ${this.timeoutMs} ms for the SQLite write queue. A write transaction that opens another ` +
              `top-level write transaction (on another EntityManager) waits for itself: use the transaction's own EntityManager.`,
          ),
        );
      }, this.timeoutMs);
      this.waiters.push(grant);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand over without unlocking in between, so a newcomer cannot overtake the queue.
      const next = this.waiters.shift();
      if (next) next();
      else this.held = false;
    };
  }
}
