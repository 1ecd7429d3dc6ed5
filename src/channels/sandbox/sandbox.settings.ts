import { createHmac } from 'node:crypto';
import { ContentKind } from '../../modules/message/content-kind';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import type { StoredContent } from '../../modules/message/message-content';
import type { SendFailure, SendFailureKind } from '../channel-adapter';

/** A sandbox inbox's `providerConfig`, read defensively (it is free-form JSON). */
export interface SandboxSettings {
  /** Simulated network delay before the send is answered, and between status callbacks. */
  latencyMs: number;
  /** Probability (0–1) that a send fails with a temporary error; 0 keeps things deterministic. */
  failureRate: number;
  /** Signs callbacks for this inbox; derived from the server's sandbox secret when absent. */
  webhookSecret: string | null;
  /**
   * Which statuses the sandbox calls back after accepting a message, in order. Default: SENT,
   * DELIVERED and, when the channel has read receipts, READ. `[]` lets a test send them itself.
   */
  statusCallbacks: DeliveryStatus[] | null;
  /** Recipients the sandbox rejects permanently (as a real provider rejects unknown numbers). */
  failRecipients: string[];
}

const STATUS_NAMES: ReadonlySet<string> = new Set(Object.values(DeliveryStatus));

/** Reads the sandbox keys of an inbox's providerConfig; anything malformed falls back to the default. */
export function sandboxSettings(config: Record<string, unknown>): SandboxSettings {
  const num = (v: unknown, min: number, max: number, fallback: number) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
  const callbacks = Array.isArray(config.statusCallbacks)
    ? (config.statusCallbacks.filter((s) => typeof s === 'string' && STATUS_NAMES.has(s)) as DeliveryStatus[])
    : null;
  return {
    latencyMs: num(config.latencyMs, 0, 60_000, 0),
    failureRate: num(config.failureRate, 0, 1, 0),
    webhookSecret: typeof config.webhookSecret === 'string' && config.webhookSecret !== '' ? config.webhookSecret : null,
    statusCallbacks: callbacks,
    failRecipients: Array.isArray(config.failRecipients) ? config.failRecipients.filter((r): r is string => typeof r === 'string') : [],
  };
}

/**
 * The secret the sandbox signs an inbox's callbacks with: the inbox's own `webhookSecret`, else
 * one derived from the server-wide sandbox secret so every inbox still gets a distinct key.
 */
export function sandboxWebhookSecret(inboxId: string, settings: Pick<SandboxSettings, 'webhookSecret'>, serverSecret: string): string {
  return settings.webhookSecret ?? createHmac('sha256', serverSecret).update(`sandbox-webhook:${inboxId}`).digest('base64url');
}

/**
 * What the sandbox does with one message, decided by markers in its text (or caption) so tests
 * and playground users get failures without randomness:
 *
 * - `#fail`                  rejected at once (permanent);
 * - `#fail:auth`, `#fail:window`, `#fail:unsupported`: that permanent kind;
 * - `#fail:temporary`        every attempt fails temporarily (retries run out);
 * - `#fail:temporary:N`      the first N attempts fail temporarily, then it is accepted;
 * - `#fail:delivery`         accepted, then a FAILED status callback (undeliverable).
 */
export type SandboxScenario =
  | { kind: 'accept' }
  | { kind: 'reject'; failure: SendFailureKind }
  | { kind: 'temporary'; times: number | null }
  | { kind: 'undeliverable' };

const MARKER = /#fail(?::(temporary|auth|window|unsupported|delivery|rejected)(?::(\d+))?)?\b/i;

const PERMANENT: Readonly<Record<string, SendFailureKind>> = {
  rejected: 'rejected',
  auth: 'auth',
  window: 'window_closed',
  unsupported: 'unsupported',
};

/** The text a scenario marker is looked for in. */
function markerText(content: StoredContent): string {
  switch (content.kind) {
    case ContentKind.TEXT:
    case ContentKind.NOTE:
      return content.body;
    case ContentKind.MEDIA:
      return content.caption ?? '';
    case ContentKind.TEMPLATE:
      return content.name;
    case ContentKind.RICH:
      return content.cards.map((c) => `${c.header?.title ?? ''} ${c.body?.text ?? ''}`).join(' ');
  }
}

/** Reads the scenario marker out of a message (pure). */
export function sandboxScenario(content: StoredContent): SandboxScenario {
  const match = MARKER.exec(markerText(content));
  if (!match) return { kind: 'accept' };
  const variant = match[1]?.toLowerCase();
  if (variant === undefined) return { kind: 'reject', failure: 'rejected' };
  if (variant === 'temporary') return { kind: 'temporary', times: match[2] === undefined ? null : Number(match[2]) };
  if (variant === 'delivery') return { kind: 'undeliverable' };
  return { kind: 'reject', failure: PERMANENT[variant] };
}

/** The failure the sandbox answers for a permanent scenario kind (stable codes, readable reasons). */
export const SANDBOX_FAILURES: Readonly<Record<SendFailureKind, Omit<SendFailure, 'kind'>>> = {
  temporary: { code: 'sandbox_unavailable', reason: 'The sandbox provider is temporarily unavailable (simulated).' },
  rejected: { code: 'rejected', reason: 'The recipient cannot receive messages on this channel (sandbox).' },
  auth: { code: 'auth', reason: 'The sandbox provider refused our credentials (simulated).' },
  window_closed: { code: 'window_closed', reason: 'The customer-service window is closed (sandbox).' },
  unsupported: { code: 'unsupported', reason: 'The sandbox channel cannot carry this content (simulated).' },
};
