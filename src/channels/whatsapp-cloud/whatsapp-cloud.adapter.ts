import type { IncomingHttpHeaders } from 'node:http';
import { ChannelKind } from '../../modules/channel/channel-kind';
import { channelCapabilities } from '../capabilities';
import {
  type AdapterCapabilities,
  type AdapterInbox,
  type ChannelAdapter,
  type ConnectionTestResult,
  type NormalisedInboundEvent,
  type OutboundMessage,
  type SendContext,
  type SendResult,
} from '../channel-adapter';
import { answerMetaSubscription, metaSignature, networkCause, neverReached, verifyMetaSignature } from '../meta-graph/meta-graph';
import { parseWhatsAppWebhook, toWhatsAppBody, whatsAppFailure, type WaErrorBody } from './whatsapp-cloud.wire';

/** The provider name of WhatsApp Cloud API inboxes. */
export const WHATSAPP_CLOUD_PROVIDER = 'whatsapp_cloud';

/** Graph API base used when an inbox sets none. */
export const WHATSAPP_GRAPH_URL = 'https://graph.facebook.com/v21.0';

/** A WhatsApp Cloud inbox's `providerConfig`. */
export interface WhatsAppCloudSettings {
  phoneNumberId: string;
  accessToken: string;
  /** The Meta app secret: signs webhooks (`X-Hub-Signature-256`). */
  appSecret: string;
  /** Echoed back by the subscription handshake (`hub.verify_token`). */
  verifyToken: string | null;
  /** Graph API base URL (tests point it at a local fake server). */
  baseUrl: string;
}

/** Reads the WhatsApp keys of an inbox's providerConfig; missing credentials are empty (sends fail as `auth`). */
export function whatsAppSettings(config: Record<string, unknown>): WhatsAppCloudSettings {
  const s = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');
  return {
    phoneNumberId: s('phoneNumberId'),
    accessToken: s('accessToken'),
    appSecret: s('appSecret'),
    verifyToken: s('verifyToken') || null,
    baseUrl: (s('baseUrl') || WHATSAPP_GRAPH_URL).replace(/\/+$/, ''),
  };
}

/** Computes the `X-Hub-Signature-256` value Meta sends with a webhook body. */
export function whatsAppSignature(appSecret: string, rawBody: Buffer | string): string {
  return metaSignature(appSecret, rawBody);
}

/**
 * Adapter for Meta's WhatsApp Cloud API. The Cloud API has no idempotency key, so the message id
 * travels as `biz_opaque_callback_data`, which Meta echoes in status webhooks. Whenever Meta may
 * have accepted a message without us learning its wamid (a timeout, a connection lost after the
 * request was written, a 5xx — Meta does not promise that a 5xx means "not accepted", and a
 * gateway 502/504 can sit in front of a request that was), the send is `uncertain`: the worker
 * waits for a status carrying our id instead of sending it twice.
 */
export class WhatsAppCloudAdapter implements ChannelAdapter {
  readonly provider = WHATSAPP_CLOUD_PROVIDER;
  readonly channel = ChannelKind.WHATSAPP;
  readonly idempotentSends = false;
  readonly capabilities: AdapterCapabilities = channelCapabilities(ChannelKind.WHATSAPP);
  private readonly settings: WhatsAppCloudSettings;

  constructor(
    inbox: AdapterInbox,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    if (inbox.channel !== ChannelKind.WHATSAPP) {
      throw new Error(`Inbox ${inbox.id}: the WhatsApp Cloud provider carries WhatsApp inboxes only, not ${inbox.channel}.`);
    }
    this.settings = whatsAppSettings(inbox.providerConfig);
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const { phoneNumberId, accessToken, baseUrl } = this.settings;
    if (!phoneNumberId || !accessToken) {
      return {
        ok: false,
        failure: { kind: 'auth', code: 'not_configured', reason: 'The inbox has no WhatsApp phone number id or access token.' },
      };
    }
    const body = toWhatsAppBody(message.content, ctx.to, { replyTo: message.replyToChannelMessageId, callbackData: message.id });
    if (typeof body === 'string') return { ok: false, failure: { kind: 'unsupported', code: 'unsupported', reason: body } };

    let res: Response;
    try {
      res = await this.fetchImpl(`${baseUrl}/${encodeURIComponent(phoneNumberId)}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: ctx.signal,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const reached = !neverReached(err);
      return {
        ok: false,
        failure: {
          kind: 'temporary',
          ...(reached ? { uncertain: true } : {}),
          code: 'network',
          reason: `WhatsApp ${reached ? 'did not answer' : 'could not be reached'}: ${networkCause(err)}`,
        },
      };
    }
    const json = (await res.json().catch(() => null)) as (WaErrorBody & { messages?: { id?: string }[] }) | null;
    const wamid = json?.messages?.[0]?.id;
    if (res.ok && typeof wamid === 'string' && wamid !== '') return { ok: true, channelMessageId: wamid };
    if (res.ok)
      return {
        ok: false,
        // Accepted (2xx) with the answer cut or garbled: the status webhook will name the wamid.
        failure: {
          kind: 'temporary',
          uncertain: true,
          code: 'bad_response',
          reason: 'WhatsApp accepted the request but returned no message id.',
        },
      };
    return { ok: false, failure: whatsAppFailure(res.status, json, res.headers.get('retry-after')) };
  }

  verifySignature(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    return verifyMetaSignature(this.settings.appSecret, rawBody, headers);
  }

  parseWebhook(rawBody: Buffer): NormalisedInboundEvent[] {
    return parseWhatsAppWebhook(rawBody, this.settings.phoneNumberId || null);
  }

  /**
   * `GET {baseUrl}/{phoneNumberId}` with the token: Meta answers the number's details, 401/190
   * (OAuthException) for a bad or expired token, 400/100 or 404 for an id it does not know (or
   * that this token may not see).
   */
  async testConnection(signal: AbortSignal): Promise<ConnectionTestResult> {
    const { phoneNumberId, accessToken, baseUrl } = this.settings;
    if (!accessToken) return { status: 'bad_credentials', message: 'The inbox has no WhatsApp access token.' };
    if (!phoneNumberId) return { status: 'not_found', message: 'The inbox has no WhatsApp phone number id.' };
    let res: Response;
    try {
      res = await this.fetchImpl(`${baseUrl}/${encodeURIComponent(phoneNumberId)}?fields=id,display_phone_number,verified_name`, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal,
      });
    } catch (err) {
      return { status: 'unreachable', message: `WhatsApp could not be reached at ${baseUrl}: ${networkCause(err)}` };
    }
    const json = (await res.json().catch(() => null)) as (WaErrorBody & { display_phone_number?: string; verified_name?: string }) | null;
    return whatsAppConnectionResult(res.status, json, phoneNumberId);
  }

  /** Meta's subscription handshake: echo `hub.challenge` when the verify token matches. */
  verifySubscription(query: Record<string, unknown>): string | null {
    return answerMetaSubscription(this.settings.verifyToken, query);
  }
}

/** Reads Meta's answer to the phone-number lookup of {@link WhatsAppCloudAdapter.testConnection} (pure). */
export function whatsAppConnectionResult(
  status: number,
  json: (WaErrorBody & { display_phone_number?: string; verified_name?: string }) | null,
  phoneNumberId: string,
): ConnectionTestResult {
  const error = json?.error;
  const said = error?.message ? ` Meta said: ${error.message}` : '';
  if (status >= 200 && status < 300 && !error) {
    const who = [json?.verified_name, json?.display_phone_number].filter(Boolean).join(', ');
    return { status: 'ok', message: `Connected to phone number ${phoneNumberId}${who ? ` (${who})` : ''}.` };
  }
  if (status === 401 || error?.code === 190) return { status: 'bad_credentials', message: `The access token was refused.${said}` };
  if (status === 403 || error?.code === 10 || error?.code === 200)
    return { status: 'bad_credentials', message: `The access token may not use this phone number.${said}` };
  if (status === 404 || error?.code === 100)
    return { status: 'not_found', message: `Meta does not know phone number id ${phoneNumberId} (or this token cannot see it).${said}` };
  return { status: 'unreachable', message: `WhatsApp answered HTTP ${status}.${said}` };
}
