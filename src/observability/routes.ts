import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Database } from '../db/orm';
import type { PubSub } from '../pubsub/pubsub';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** How long a readiness check may take before it counts as failed (a hung pool is not ready). */
export const READINESS_TIMEOUT_MS = 2000;

/** What `/readyz` and `/metrics` need. */
export interface OpsRoutesDeps {
  db: Database;
  pubsub: PubSub;
  metrics: Metrics;
  logger: Logger;
  /** METRICS_TOKEN; null = loopback clients only. */
  metricsToken: string | null;
  /** True once the server has begun shutting down: it should get no new traffic. */
  stopping: () => boolean;
}

/** True for 127.0.0.0/8 and ::1, including their IPv4-mapped IPv6 forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}

/** Compares in constant time (hashing first, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Who may scrape: with METRICS_TOKEN, whoever presents it as a bearer token; without, loopback clients only. */
export function metricsAccess(
  token: string | null,
  authorization: string | undefined,
  remoteAddress: string | undefined,
): 'ok' | 'unauthorized' | 'forbidden' {
  if (token) {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    return given && sameSecret(given, token) ? 'ok' : 'unauthorized';
  }
  return isLoopback(remoteAddress) ? 'ok' : 'forbidden';
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Why the server cannot take traffic now, or null when it can: shutting down, the database not
 * answering a trivial query, or the pub/sub transport (when it has a ping, e.g. Redis) unreachable.
 */
export async function notReadyReason(deps: Pick<OpsRoutesDeps, 'db' | 'pubsub' | 'stopping'>): Promise<string | null> {
  if (deps.stopping()) return 'shutting down';
  try {
    await withTimeout(deps.db.em.getConnection().execute('select 1'), READINESS_TIMEOUT_MS, 'the database');
  } catch (err) {
    return `database: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (deps.pubsub.ping) {
    try {
      await withTimeout(deps.pubsub.ping(), READINESS_TIMEOUT_MS, 'the pub/sub');
    } catch (err) {
      return `pubsub: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return null;
}

/**
 * `GET /readyz`: 200 `{ ready: true }` when the database (and the pub/sub, when it can be pinged)
 * answers, else 503 `{ ready: false, reason }`, for load balancers and orchestrators. `/healthz`
 * stays a static liveness answer: a database outage should take an instance out of rotation, not
 * get it restarted.
 *
 * `GET /metrics`: the Prometheus exposition of the app's registry, behind METRICS_TOKEN or, without
 * one, for loopback clients only.
 */
export function createOpsRouter(deps: OpsRoutesDeps): Router {
  const router = express.Router();
  router.get('/readyz', async (_req: Request, res: Response) => {
    const reason = await notReadyReason(deps);
    res.setHeader('cache-control', 'no-store');
    if (reason) {
      deps.logger.warn({ reason }, 'not ready');
      res.status(503).json({ ready: false, reason });
      return;
    }
    res.json({ ready: true });
  });
  router.get('/metrics', async (req: Request, res: Response) => {
    const access = metricsAccess(deps.metricsToken, req.headers.authorization, req.socket.remoteAddress);
    if (access === 'unauthorized') {
      res
        .status(401)
        .setHeader('www-authenticate', 'Bearer realm="metrics"')
        .json({ error: 'unauthorized', message: 'Send `Authorization: Bearer <METRICS_TOKEN>`.' });
      return;
    }
    if (access === 'forbidden') {
      res.status(403).json({ error: 'forbidden', message: '/metrics answers loopback clients only unless METRICS_TOKEN is set.' });
      return;
    }
    try {
      const { contentType, body } = await deps.metrics.scrape();
      res.setHeader('cache-control', 'no-store');
      res.type(contentType).send(body);
    } catch (err) {
      deps.logger.error({ err }, 'collecting metrics failed');
      res.status(500).type('text/plain').send('collecting metrics failed\n');
    }
  });
  return router;
}
