import type { IncomingHttpHeaders } from 'node:http';
import { loadConfig, type DeliveryConfig } from '../../src/config';
import type { Database } from '../../src/db/orm';
import { SandboxCarrier, sandboxStatusEvent } from '../../src/channels/sandbox/sandbox.carrier';
import { sandboxSettings, sandboxWebhookSecret } from '../../src/channels/sandbox/sandbox.settings';
import { signSandboxWebhook, SANDBOX_SIGNATURE_HEADER, type SandboxWireEvent } from '../../src/channels/sandbox/sandbox.wire';
import { DomainEvent } from '../../src/modules/event/event.entity';
import { EventType } from '../../src/modules/event/event-type';
import type { EventMessage } from '../../src/modules/event/event.service';
import { Inbox } from '../../src/modules/inbox/inbox.entity';
import type { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { Message } from '../../src/modules/message/message.entity';
import type { PubSub } from '../../src/pubsub/pubsub';
import { Topics } from '../../src/pubsub/pubsub';

/** Delivery settings for tests: fast backoff, no poll (only notify and due times wake the worker). */
export function testDeliveryConfig(overrides: Partial<DeliveryConfig> = {}): DeliveryConfig {
  return {
    ...loadConfig({}).delivery,
    maxAttempts: 3,
    baseBackoffMs: 5,
    maxBackoffMs: 20,
    leaseMs: 4000,
    // Long on purpose: a test that passes proves the worker was woken, not polled.
    pollMs: 60_000,
    concurrency: 4,
    // An uncertain WhatsApp attempt (5xx, timeout) is sent again this soon when nothing reports it.
    uncertainSettleMs: 50,
    sandboxSecret: 'test-sandbox-secret',
    ...overrides,
  };
}

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Reads a message until `pred` holds, re-reading after every event published for the tenant (no
 * sleeps: the pubsub event is the signal). Fails after `timeoutMs` with the last state seen.
 */
export async function waitForMessage(
  db: Database,
  pubsub: PubSub,
  tenantId: string,
  messageId: string,
  pred: (m: Message) => boolean,
  timeoutMs = 10_000,
): Promise<Message> {
  const events = pubsub.subscribe<EventMessage>(Topics.tenant(tenantId));
  const deadline = Date.now() + timeoutMs;
  let last: Message | null = null;
  try {
    for (;;) {
      last = await db.em.fork().findOne(Message, { id: messageId });
      if (last && pred(last)) return last;
      const remaining = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        events.next().then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, remaining)))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        throw new Error(`message ${messageId} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
      }
    }
  } finally {
    await events.return?.();
  }
}

/** The statuses of a message's history, in order. */
export const historyOf = (m: Pick<Message, 'statusHistory'>): DeliveryStatus[] => m.statusHistory.map((h) => h.status);

/** MESSAGE_STATUS_CHANGED events stored for a message, oldest first. */
export async function statusEvents(db: Database, messageId: string): Promise<DomainEvent[]> {
  return db.em.fork().find(DomainEvent, { messageId, type: EventType.MESSAGE_STATUS_CHANGED }, { orderBy: { seq: 'asc' } });
}

/** Merges keys into an inbox's providerConfig (adapters are built per use, so it takes effect at once). */
export async function patchProviderConfig(db: Database, inboxId: string, patch: Record<string, unknown>): Promise<void> {
  const em = db.em.fork();
  const inbox = await em.findOneOrFail(Inbox, inboxId);
  inbox.providerConfig = { ...inbox.providerConfig, ...patch };
  await em.flush();
}

/** The secret the sandbox signs an inbox's callbacks with. */
export async function sandboxSecretFor(db: Database, inboxId: string, delivery: DeliveryConfig): Promise<string> {
  const inbox = await db.em.fork().findOneOrFail(Inbox, inboxId);
  return sandboxWebhookSecret(inbox.id, sandboxSettings(inbox.providerConfig), delivery.sandboxSecret);
}

/** POSTs sandbox wire events to `/webhooks/:inboxId`, signed with `secret` (or raw headers when given). */
export async function postSandboxWebhook(
  origin: string,
  inboxId: string,
  secret: string,
  events: SandboxWireEvent[],
  opts: { headers?: IncomingHttpHeaders | Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = opts.body ?? JSON.stringify({ events });
  const res = await fetch(`${origin}/webhooks/${inboxId}`, {
    method: 'POST',
    headers: (opts.headers as Record<string, string>) ?? {
      'content-type': 'application/json',
      [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(secret, body),
    },
    body,
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

export { SandboxCarrier, sandboxStatusEvent };
