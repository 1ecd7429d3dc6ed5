import express, { type Request, type Response, type Router } from 'express';
import type { AdapterRegistry } from '../../channels/adapter-registry';
import {
  WEBHOOK_QUERY_HEADER,
  WebhookPayloadError,
  type ChannelAdapter,
  type NormalisedInboundEvent,
} from '../../channels/channel-adapter';
import type { Database } from '../../db/orm';
import { isIdOf } from '../../lib/ids';
import type { PubSub } from '../../pubsub/pubsub';
import { fallbackLogger, type Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import { publishEvents } from '../event/event.publisher';
import { Inbox } from '../inbox/inbox.entity';
import { resolveInboundMedia, type InboundMediaDeps } from '../media/inbound-media.service';
import { ingestProviderEvents } from './webhook.service';

/** What the webhook endpoint needs from the server. */
export interface WebhookRouterDeps {
  db: Database;
  pubsub: PubSub;
  channels: AdapterRegistry;
  /** Largest webhook body accepted (providers batch, but not without bound). */
  maxBodyBytes: number;
  /** Where customers' files go; without it, media events are stored without their files. */
  inboundMedia?: InboundMediaDeps;
  logger?: Logger;
  /** Ingest counts by outcome and the lag behind the provider's event time. */
  metrics?: Metrics;
}

/**
 * The one answer for a callback we will not take: bad signature, unknown or malformed inbox id, an
 * inbox of a provider we do not speak. Being the same for all, it does not tell a prober which
 * inbox ids exist.
 */
function refuseCallback(res: Response): void {
  res.status(401).json({ error: 'invalid_signature', message: 'The webhook signature does not match this inbox.' });
}

/** The inbox and its adapter, or null (unknown inbox, malformed id, or a provider we do not speak). */
async function inboxAdapter(deps: WebhookRouterDeps, req: Request): Promise<{ inbox: Inbox; adapter: ChannelAdapter } | null> {
  const inboxId = String(req.params.inboxId);
  const inbox = isIdOf('inbox', inboxId) ? await deps.db.em.fork().findOne(Inbox, { id: inboxId }) : null;
  if (!inbox || !deps.channels.has(inbox.provider)) return null;
  return { inbox, adapter: deps.channels.forInbox(inbox) };
}

/**
 * `POST /webhooks/:inboxId`: provider callbacks (statuses, customer messages, reactions).
 *
 * The raw body is kept for the signature check, which comes before anything is parsed or stored
 * (a bad signature is 401 and leaves no trace; so is an unknown inbox, with the same body). The
 * batch is then ingested a few hundred events per transaction, idempotent by provider event id,
 * each chunk's domain events published after its commit. The answer is 200 with counts; a failure
 * to store is 500 so the provider redelivers (the receipts make redelivery harmless).
 *
 * `GET /webhooks/:inboxId`: the provider's subscription handshake, where it has one; 403 for a
 * failed handshake and for an unknown inbox alike.
 */
export function createWebhookRouter(deps: WebhookRouterDeps): Router {
  const router = express.Router();

  router.post('/webhooks/:inboxId', express.raw({ type: () => true, limit: deps.maxBodyBytes }), async (req: Request, res: Response) => {
    const found = await inboxAdapter(deps, req);
    if (!found) return refuseCallback(res);
    const { inbox, adapter } = found;
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // Providers that sign the full URL they called (Twilio) need its query; ours, never the caller's.
    const query = req.originalUrl.indexOf('?');
    req.headers[WEBHOOK_QUERY_HEADER] = query >= 0 ? req.originalUrl.slice(query + 1) : '';
    const count = (outcome: string, n = 1) => n > 0 && deps.metrics?.webhookEvents.inc({ provider: inbox.provider, outcome }, n);
    if (!adapter.verifySignature(rawBody, req.headers)) {
      count('invalid_signature');
      return refuseCallback(res);
    }
    let events: NormalisedInboundEvent[];
    try {
      events = await adapter.parseWebhook(rawBody, req.headers);
    } catch (err) {
      if (!(err instanceof WebhookPayloadError)) throw err;
      count('bad_payload');
      res.status(400).json({ error: 'bad_payload', message: err.message });
      return;
    }
    let summary: { received: number; duplicates: number };
    try {
      if (deps.inboundMedia) await resolveInboundMedia(deps.inboundMedia, inbox, adapter, events);
      summary = await ingestProviderEvents(deps.db, inbox, events, (recorded) => publishEvents(deps.pubsub, recorded));
    } catch (err) {
      count('failed');
      (deps.logger ?? fallbackLogger('webhook')).error({ err, inboxId: inbox.id, provider: inbox.provider }, 'could not ingest a webhook');
      res.status(500).json({ error: 'ingest_failed', message: 'The events could not be stored; redeliver them.' });
      return;
    }
    count('ingested', summary.received - summary.duplicates);
    count('duplicate', summary.duplicates);
    const now = Date.now();
    for (const event of events)
      deps.metrics?.webhookLag.observe({ provider: inbox.provider }, Math.max(0, (now - event.occurredAt.getTime()) / 1000));
    res.status(200).json(summary);
  });

  router.get('/webhooks/:inboxId', async (req: Request, res: Response) => {
    const found = await inboxAdapter(deps, req);
    const answer = found?.adapter.verifySubscription?.(req.query as Record<string, unknown>) ?? null;
    if (answer === null) {
      res.status(403).json({ error: 'forbidden', message: 'Subscription verification failed.' });
      return;
    }
    res.status(200).type('text/plain').send(answer);
  });

  return router;
}
