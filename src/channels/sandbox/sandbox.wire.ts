import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ContentKind } from '../../modules/message/content-kind';
import { DeliveryStatus } from '../../modules/message/delivery-status';
import { headerValue, WebhookPayloadError, type NormalisedInboundEvent } from '../channel-adapter';

/**
 * The sandbox provider's webhook wire format. It is deliberately its own format (not ours), so
 * the sandbox exercises the same translate-verify-ingest path a real provider does.
 *
 * `POST /webhooks/:inboxId` with `{ "events": [...] }` and the header
 * `X-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 */
export type SandboxWireEvent =
  | { id: string; type: 'message'; timestamp: string; from: string; name?: string | null; message: { id: string; text: string } }
  | {
      id: string;
      type: 'status';
      timestamp: string;
      message_id: string;
      status: 'sent' | 'delivered' | 'read' | 'failed';
      error?: { code: string; message: string } | null;
    }
  | { id: string; type: 'reaction'; timestamp: string; from: string; message_id: string; emoji: string | null };

export interface SandboxWebhookBody {
  events: SandboxWireEvent[];
}

export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';

/** Signatures older (or newer) than this are refused, so a captured request cannot be replayed later. */
export const SANDBOX_SIGNATURE_TOLERANCE_S = 5 * 60;

function hmac(secret: string, timestamp: number, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The signature header value for a body, as the sandbox sends it. */
export function signSandboxWebhook(secret: string, rawBody: Buffer | string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${hmac(secret, t, rawBody)}`;
}

/** Checks a sandbox signature header: right key, right body, fresh timestamp. Constant-time compare. */
export function verifySandboxSignature(secret: string, rawBody: Buffer, headers: IncomingHttpHeaders, now = Date.now()): boolean {
  const header = headerValue(headers, SANDBOX_SIGNATURE_HEADER);
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/i.test(given)) return false;
  if (Math.abs(now / 1000 - t) > SANDBOX_SIGNATURE_TOLERANCE_S) return false;
  const expected = Buffer.from(hmac(secret, t, rawBody), 'hex');
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

const WIRE_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  sent: DeliveryStatus.SENT,
  delivered: DeliveryStatus.DELIVERED,
  read: DeliveryStatus.READ,
  failed: DeliveryStatus.FAILED,
};

/** The wire name of a status the sandbox can report (PENDING is never reported). */
export const STATUS_WIRE: Readonly<Record<DeliveryStatus, 'sent' | 'delivered' | 'read' | 'failed' | null>> = {
  [DeliveryStatus.PENDING]: null,
  [DeliveryStatus.SENT]: 'sent',
  [DeliveryStatus.DELIVERED]: 'delivered',
  [DeliveryStatus.READ]: 'read',
  [DeliveryStatus.FAILED]: 'failed',
};

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new WebhookPayloadError(`${what} must be a non-empty string`);
  return v;
}

function time(v: unknown): Date {
  const d = new Date(str(v, 'timestamp'));
  if (Number.isNaN(d.getTime())) throw new WebhookPayloadError('timestamp must be an ISO date');
  return d;
}

/** Translates a sandbox webhook body into normalised events. */
export function parseSandboxWebhook(rawBody: Buffer): NormalisedInboundEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookPayloadError('body is not JSON');
  }
  const events = (body as Partial<SandboxWebhookBody> | null)?.events;
  if (!Array.isArray(events)) throw new WebhookPayloadError('body.events must be an array');
  return events.map((raw): NormalisedInboundEvent => {
    const e = raw as Record<string, unknown>;
    const providerEventId = str(e.id, 'id');
    switch (e.type) {
      case 'message': {
        const message = e.message as Record<string, unknown> | undefined;
        return {
          type: 'message_received',
          providerEventId,
          from: str(e.from, 'from'),
          fromName: typeof e.name === 'string' && e.name.trim() !== '' ? e.name.trim() : null,
          channelMessageId: str(message?.id, 'message.id'),
          content: { kind: ContentKind.TEXT, body: str(message?.text, 'message.text') },
          occurredAt: time(e.timestamp),
        };
      }
      case 'status': {
        const status = WIRE_STATUS[str(e.status, 'status')];
        if (!status) throw new WebhookPayloadError(`unknown status ${String(e.status)}`);
        const error = e.error as { code?: unknown; message?: unknown } | null | undefined;
        return {
          type: 'status_changed',
          providerEventId,
          channelMessageId: str(e.message_id, 'message_id'),
          status,
          failure: error ? { code: String(error.code ?? 'failed'), reason: String(error.message ?? error.code ?? 'failed') } : null,
          occurredAt: time(e.timestamp),
        };
      }
      case 'reaction': {
        const emoji = typeof e.emoji === 'string' && e.emoji !== '' ? e.emoji : null;
        return {
          type: 'reaction_received',
          providerEventId,
          channelMessageId: str(e.message_id, 'message_id'),
          from: str(e.from, 'from'),
          emoji,
          removed: emoji === null,
          occurredAt: time(e.timestamp),
        };
      }
      default:
        throw new WebhookPayloadError(`unknown event type ${String(e.type)}`);
    }
  });
}
