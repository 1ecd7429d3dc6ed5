import type { EntityManager } from '@mikro-orm/core';
import type { Database } from '../db/orm';
import type { WatchedTokens } from '../modules/auth/access-changes';
import { authenticate } from '../modules/auth/auth.service';
import { hashToken } from '../modules/auth/token';
import type { Viewer } from '../modules/auth/viewer';

/** How a token is turned into a viewer (the real `authenticate`; tests may count or stub it). */
export type Authenticator = (em: EntityManager, token: string) => Promise<Viewer | null>;

/** One token in use by at least one open connection. */
interface TokenEntry {
  token: string;
  /** Open connections using the token; the entry goes when the last one closes. */
  users: number;
  /** How to end those connections should the token stop authenticating. */
  closers: Set<() => void>;
  /** The newest re-authentication, with the event seq it was made for. */
  latest: { seq: number; viewer: Promise<Viewer | null> } | null;
  /** Reported as no longer authenticating: its connections are closing, events see no viewer. */
  lost: boolean;
}

/**
 * Re-authentication of live (websocket) connections, shared by every connection that presented the
 * same token: each delivered event re-authenticates the token once per event seq, however many
 * connections and subscriptions use it, so a revoked token or a removed inbox membership still
 * takes effect on the next event. Entries are keyed by the token's SHA-256 and exist only while a
 * connection holds them (`acquire`/`release`), so the map is bounded by the open connections.
 * It is also what `AccessChanges` watches: when a held token stops authenticating (revoked,
 * expired, user deactivated — possibly by another process), every connection holding it is ended.
 * Owned by AppDeps; one per server.
 */
export class LiveAuth implements WatchedTokens {
  private readonly entries = new Map<string, TokenEntry>();
  /** authenticate() calls made for events (not for connects or operations); for tests and metrics. */
  authentications = 0;

  constructor(
    private readonly db: Database,
    private readonly authenticator: Authenticator = authenticate,
  ) {}

  /**
   * Registers one connection using `token`, with how to end it should the token stop
   * authenticating (pass the same `close` to {@link release}). Returns the key for {@link viewerAt}.
   */
  acquire(token: string, close?: () => void): string {
    const key = hashToken(token);
    let entry = this.entries.get(key);
    if (entry) entry.users++;
    else this.entries.set(key, (entry = { token, users: 1, closers: new Set(), latest: null, lost: false }));
    if (close) entry.closers.add(close);
    return key;
  }

  /** The connection that acquired `tokenHash` (with `close`) closed; the last one out drops the entry. */
  release(tokenHash: string, close?: () => void): void {
    const entry = this.entries.get(tokenHash);
    if (!entry) return;
    if (close) entry.closers.delete(close);
    if (--entry.users <= 0) this.entries.delete(tokenHash);
  }

  held(): string[] {
    return [...this.entries].filter(([, entry]) => !entry.lost).map(([hash]) => hash);
  }

  /** Ends every connection holding one of these tokens; each releases its entry once closed. */
  lost(tokenHashes: readonly string[]): void {
    for (const hash of tokenHashes) {
      const entry = this.entries.get(hash);
      if (!entry || entry.lost) continue;
      entry.lost = true;
      // Events still in flight until the sockets are closed see no viewer.
      entry.latest = { seq: Number.POSITIVE_INFINITY, viewer: Promise.resolve(null) };
      for (const close of [...entry.closers]) close();
    }
  }

  /**
   * A viewer for the token at least as fresh as event `seq`: the re-authentication made for the
   * newest seq so far is reused when it is for `seq` or later (it was fetched after that event had
   * committed), otherwise the token is authenticated again. null when it no longer authenticates.
   * A failed re-authentication is forgotten, so the next event tries again.
   */
  viewerAt(tokenHash: string, seq: number): Promise<Viewer | null> {
    const entry = this.entries.get(tokenHash);
    if (!entry) return Promise.reject(new Error('LiveAuth.viewerAt: token not acquired (connection already closed?)'));
    if (entry.latest && entry.latest.seq >= seq) return entry.latest.viewer;
    this.authentications++;
    const viewer = this.authenticator(this.db.em.fork(), entry.token);
    const latest = { seq, viewer };
    entry.latest = latest;
    viewer.catch(() => {
      if (entry.latest === latest) entry.latest = null;
    });
    return viewer;
  }

  /** Tokens currently held by open connections. */
  get size(): number {
    return this.entries.size;
  }
}
