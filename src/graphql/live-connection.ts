import { authenticate } from '../modules/auth/auth.service';
import { bearerFrom } from '../modules/auth/token';
import type { Viewer } from '../modules/auth/viewer';
import type { ViewerSource } from '../modules/event/event-stream';
import { createContext, type AppContext, type AppDeps } from './context';

/**
 * One authenticated websocket connection. It keeps the token it was opened with, not a viewer:
 * every operation and every delivered event re-authenticates, so a revoked token or a removed
 * inbox membership takes effect on the next event. Events are shared by all subscriptions of the
 * connection, so re-authentication happens once per event (by seq), not once per subscription.
 */
export class LiveConnection implements ViewerSource {
  private latest: { seq: number; viewer: Promise<Viewer | null> } | null = null;

  private constructor(
    readonly deps: AppDeps,
    private readonly authorization: string,
  ) {}

  /** A connection for this Authorization value, or null when it does not authenticate. */
  static async open(deps: AppDeps, authorization: string): Promise<LiveConnection | null> {
    const connection = new LiveConnection(deps, authorization);
    return (await connection.refresh()) ? connection : null;
  }

  async refresh(): Promise<Viewer | null> {
    const token = bearerFrom(this.authorization);
    return token ? authenticate(this.deps.db.em.fork(), token) : null;
  }

  viewerAt(seq: number): Promise<Viewer | null> {
    // A viewer fetched when event N was delivered is newer than every event <= N's commit.
    if (this.latest && this.latest.seq >= seq) return this.latest.viewer;
    const viewer = this.refresh();
    const entry = { seq, viewer };
    this.latest = entry;
    viewer.catch(() => {
      if (this.latest === entry) this.latest = null;
    });
    return viewer;
  }

  /** A fresh context (EntityManager fork, loaders, re-authenticated viewer) for one operation on this connection. */
  async operationContext(): Promise<AppContext> {
    const ctx = await createContext(this.deps, this.authorization);
    return { ...ctx, live: this };
  }
}
