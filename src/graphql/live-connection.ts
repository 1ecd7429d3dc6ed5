import { authenticate } from '../modules/auth/auth.service';
import { bearerFrom } from '../modules/auth/token';
import type { Viewer } from '../modules/auth/viewer';
import type { ViewerSource } from '../modules/event/event-stream';
import { createContext, type AppContext, type AppDeps } from './context';

/**
 * One authenticated websocket connection. It keeps the token it was opened with, not a viewer:
 * every operation and every delivered event re-authenticates, so a revoked token or a removed
 * inbox membership takes effect on the next event. Per-event re-authentication goes through
 * `deps.liveAuth`, so it happens once per event (by seq) for all subscriptions of all connections
 * that use the same token; the connection holds its token there from open to {@link close}.
 */
export class LiveConnection implements ViewerSource {
  private tokenHash: string | null = null;

  private constructor(
    readonly deps: AppDeps,
    private readonly authorization: string,
    private readonly end: () => void,
  ) {}

  /**
   * A connection for this Authorization value, or null when it does not authenticate. `end` closes
   * the socket (4403) and is called when the token stops authenticating while the socket is open
   * (revoked, expired, user deactivated: see `AccessChanges`). Call {@link close} when the socket closes.
   */
  static async open(deps: AppDeps, authorization: string, end: () => void): Promise<LiveConnection | null> {
    const connection = new LiveConnection(deps, authorization, end);
    if (!(await connection.refresh())) return null;
    connection.tokenHash = deps.liveAuth.acquire(bearerFrom(authorization)!, end);
    return connection;
  }

  async refresh(): Promise<Viewer | null> {
    const token = bearerFrom(this.authorization);
    return token ? authenticate(this.deps.db.em.fork(), token) : null;
  }

  viewerAt(seq: number): Promise<Viewer | null> {
    // After close the shared entry may be gone; an event still in flight re-authenticates on its own.
    return this.tokenHash ? this.deps.liveAuth.viewerAt(this.tokenHash, seq) : this.refresh();
  }

  /** Releases the token's shared re-authentication; idempotent. */
  close(): void {
    if (!this.tokenHash) return;
    this.deps.liveAuth.release(this.tokenHash, this.end);
    this.tokenHash = null;
  }

  /** A fresh context (EntityManager fork, loaders, re-authenticated viewer) for one operation on this connection. */
  async operationContext(): Promise<AppContext> {
    const ctx = await createContext(this.deps, this.authorization);
    return { ...ctx, live: this };
  }
}
