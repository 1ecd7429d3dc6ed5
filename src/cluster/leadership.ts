import type { Database } from '../db/orm';
import { fallbackLogger, type Logger } from '../observability/logger';
import { acquireConnection, releaseConnection, type RawConnection } from './advisory-lock';

/** What the leader runs: started on winning leadership, stopped on losing it (or on shutdown). */
export interface LeaderWork {
  lead(): Promise<void>;
  stepDown(): Promise<void>;
}

/** Decides which instance runs the once-per-cluster background work (window-shut events, retention). */
export interface Leadership {
  /** Tries to lead once before resolving (a lone instance leads when start returns), then keeps trying in the background. */
  start(work: LeaderWork): Promise<void>;
  /** Steps down (stopping the work) and stops trying. */
  stop(): Promise<void>;
  readonly leading: boolean;
}

/** SQLite: one process owns the database, so it always leads. */
export class SoleLeadership implements Leadership {
  private work: LeaderWork | null = null;
  get leading(): boolean {
    return this.work !== null;
  }
  async start(work: LeaderWork): Promise<void> {
    this.work = work;
    await work.lead();
  }
  async stop(): Promise<void> {
    const work = this.work;
    this.work = null;
    await work?.stepDown();
  }
}

/** Options of {@link AdvisoryLockLeadership}. */
export interface AdvisoryLockLeadershipOptions {
  /** The lock's name (hashed to its key); instances competing for one job use the same name. */
  name: string;
  /** How often a standby tries to take the lock, and the leader checks its connection: the takeover time after a crash. */
  intervalMs: number;
  logger?: Logger;
}

/**
 * Leadership by a PostgreSQL session advisory lock (`pg_try_advisory_lock`) held on a connection
 * of its own. Whoever holds it leads; when the leader's process dies (even `kill -9`) PostgreSQL
 * ends its session and frees the lock, and a standby, retrying every `intervalMs`, takes over. The
 * leader checks its connection at the same pace and steps down if it broke (the lock is gone with it).
 */
export class AdvisoryLockLeadership implements Leadership {
  private connection: RawConnection | null = null;
  private work: LeaderWork | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private readonly logger: Logger;

  constructor(
    private readonly db: Database,
    private readonly options: AdvisoryLockLeadershipOptions,
  ) {
    this.logger = options.logger ?? fallbackLogger('leadership');
  }

  get leading(): boolean {
    return this.connection !== null;
  }

  async start(work: LeaderWork): Promise<void> {
    this.work = work;
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** One round: a standby tries to take the lock; the leader makes sure it still has it. */
  private async tick(): Promise<void> {
    try {
      if (this.connection) await this.checkHeld(this.connection);
      else await this.tryLead();
    } catch (err) {
      this.logger.error({ err }, 'leadership round failed');
    }
  }

  private async tryLead(): Promise<void> {
    const connection = await acquireConnection(this.db);
    let won = false;
    try {
      const { rows } = await connection.query('select pg_try_advisory_lock(hashtext($1)) as won', [this.options.name]);
      won = rows[0]?.won === true;
    } finally {
      if (!won) await releaseConnection(this.db, connection);
    }
    if (!won || this.stopped) {
      if (won) await this.release(connection);
      return;
    }
    this.connection = connection;
    this.logger.info({ lock: this.options.name }, 'leading');
    await this.work?.lead();
  }

  private async checkHeld(connection: RawConnection): Promise<void> {
    try {
      await connection.query('select 1');
    } catch (err) {
      // The session is gone and the lock with it: someone else may lead already.
      this.logger.warn({ err, lock: this.options.name }, 'leader connection lost; stepping down');
      this.connection = null;
      await this.work?.stepDown();
      await releaseConnection(this.db, connection).catch(() => undefined);
    }
  }

  private async release(connection: RawConnection): Promise<void> {
    await connection.query('select pg_advisory_unlock(hashtext($1))', [this.options.name]).catch(() => undefined);
    await releaseConnection(this.db, connection).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    const connection = this.connection;
    this.connection = null;
    if (connection) {
      await this.work?.stepDown();
      await this.release(connection);
    }
  }
}
