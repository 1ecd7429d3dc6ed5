import type { Database } from '../../db/orm';
import type { PubSub } from '../../pubsub/pubsub';
import { Topics } from '../../pubsub/pubsub';
import { unusableTokens } from './auth.service';

/** The tokens open connections hold, and what to do when some of them stop authenticating. */
export interface WatchedTokens {
  /** SHA-256 hashes of the tokens held by open connections now. */
  held(): string[];
  /** These held tokens no longer authenticate (revoked, expired, user deactivated): end their connections. */
  lost(tokenHashes: readonly string[]): void;
}

/**
 * Where the server learns that tokens stopped authenticating while connections hold them. A token
 * can be revoked by another process (the token CLI, another instance), so the source cannot be an
 * in-process call: {@link AccessChangesPoller} asks the database; a broadcast (e.g. Redis pub/sub)
 * can implement the same interface and call `watched.lost` when told.
 */
export interface AccessChanges {
  /** Starts reporting lost tokens to `watched`; call once. */
  start(watched: WatchedTokens): void;
  /** Stops; resolves when no check is running any more. */
  stop(): Promise<void>;
}

/**
 * Checks every `intervalMs` whether the tokens held by open connections still authenticate: one
 * statement for all of them (none while no connection is open), so revocation, deactivation and
 * expiry reach idle sockets within one interval, wherever the change was made.
 */
export class AccessChangesPoller implements AccessChanges {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Completed checks (tests wait on this rather than on time). */
  checks = 0;

  constructor(
    private readonly db: Database,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void = (error) => console.error('[access-changes] check failed', error),
  ) {}

  start(watched: WatchedTokens): void {
    if (this.intervalMs <= 0) return;
    const schedule = () => {
      this.timer = setTimeout(tick, this.intervalMs);
      // A background check must not keep a process alive that has nothing else to do.
      this.timer.unref();
    };
    const tick = () => {
      this.running = this.check(watched)
        .catch(this.onError)
        .finally(() => {
          this.running = null;
          if (!this.stopped) schedule();
        });
    };
    schedule();
  }

  /** One check now: the held tokens that no longer authenticate are reported lost. */
  async check(watched: WatchedTokens): Promise<void> {
    const held = watched.held();
    if (held.length > 0) {
      const lost = await unusableTokens(this.db.em.fork(), held);
      if (lost.length > 0 && !this.stopped) watched.lost(lost);
    }
    this.checks++;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}

/**
 * Access changes told over pub/sub, with the poller as the safety net: every instance listens on
 * {@link Topics.accessChanges} and checks its held tokens as soon as a notice arrives (with
 * REDIS_URL the notice reaches every instance, whichever process revoked the token), and still polls
 * every `WS_ACCESS_CHECK_MS` for changes nobody announced (expiry, a revocation by hand in SQL).
 */
export class NotifiedAccessChanges implements AccessChanges {
  private notices: AsyncIterator<unknown> | null = null;
  private listening: Promise<void> | null = null;

  constructor(
    private readonly pubsub: PubSub,
    private readonly poller: AccessChangesPoller,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(watched: WatchedTokens): void {
    this.poller.start(watched);
    const notices = (this.notices = this.pubsub.subscribe<unknown>(Topics.accessChanges));
    this.listening = (async () => {
      for (;;) {
        const r = await notices.next();
        if (r.done) return;
        await this.poller.check(watched).catch(this.onError);
      }
    })().catch(this.onError);
  }

  async stop(): Promise<void> {
    await this.notices?.return?.();
    await this.listening;
    await this.poller.stop();
  }
}

/**
 * Tells every instance's {@link NotifiedAccessChanges} to check its open sockets now: call after
 * committing a revocation, a deactivation or a removed membership.
 */
export async function announceAccessChange(pubsub: PubSub): Promise<void> {
  await pubsub.publish(Topics.accessChanges, { at: new Date().toISOString() });
}
