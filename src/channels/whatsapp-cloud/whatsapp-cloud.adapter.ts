import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ChannelKind } from '../../modules/channel/channel-kind';
import { channelCapabilities } from '../capabilities';
import {
  type AdapterCapabilities,
  type AdapterInbox,
  type AdapterMedia,
  type ChannelAdapter,
  type ConnectionTestResult,
  type FetchedMedia,
  type InboundMediaSource,
  type NormalisedInboundEvent,
  type OutboundMessage,
  type OutboundReaction,
  type ProviderTemplate,
  type SendContext,
  type SendFailure,
  type SendResult,
  type SenderRateLimits,
  type TemplateListResult,
} from '../channel-adapter';
import { fetchFailure, networkCause, noMessageId, notConfigured } from '../http-failure';
import { answerMetaSubscription, metaSignature, postGraphMessages, verifyMetaSignature } from '../meta-graph/meta-graph';
import {
  parseTemplatePage,
  parseWhatsAppWebhook,
  toWhatsAppBody,
  toWhatsAppReaction,
  uploadedMediaIds,
  whatsAppFailure,
  type WaErrorBody,
  type WaSendBody,
} from './whatsapp-cloud.wire';

/** The provider name of WhatsApp Cloud API inboxes. */
export const WHATSAPP_CLOUD_PROVIDER = 'whatsapp_cloud';

/** Graph API base used when an inbox sets none. */
export const WHATSAPP_GRAPH_URL = 'https://graph.facebook.com/v21.0';

/** Why a send fails before any call when the inbox lacks its phone number id or token. */
const NOT_CONFIGURED = 'The inbox has no WhatsApp phone number id or access token.';

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
  /** The WhatsApp Business Account (WABA) id: owns the message templates. */
  businessAccountId: string | null;
}

/**
 * Meta keeps an uploaded file 30 days; we reuse its id for 29 so a send never names an id that
 * expires on the way (Cloud API "Media": "media IDs ... persist for 30 days").
 */
export const WHATSAPP_MEDIA_ID_TTL_MS = 29 * 24 * 60 * 60 * 1000;

/**
 * Cloud API throughput (Meta's "Throughput" page): 80 messages/s per business phone number by
 * default; to one customer about 1 message per 6 s, with bursts of up to 45 tolerated. After a
 * throughput error without Retry-After every send of the number pauses a few seconds (Meta asks
 * for a backoff, without a figure).
 */
export const WHATSAPP_RATE_LIMITS: SenderRateLimits = {
  perSecond: 80,
  perRecipientPerSecond: 1 / 6,
  recipientBurst: 45,
  rateLimitPauseMs: 5_000,
};

/** Pages of templates read at most (100 each): beyond 2,000 templates a composer has other problems. */
const MAX_TEMPLATE_PAGES = 20;

/** Reads the WhatsApp keys of an inbox's providerConfig; missing credentials are empty (sends fail as `auth`). */
export function whatsAppSettings(config: Record<string, unknown>): WhatsAppCloudSettings {
  const s = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');
  return {
    phoneNumberId: s('phoneNumberId'),
    accessToken: s('accessToken'),
    appSecret: s('appSecret'),
    verifyToken: s('verifyToken') || null,
    baseUrl: (s('baseUrl') || WHATSAPP_GRAPH_URL).replace(/\/+$/, ''),
    businessAccountId: s('businessAccountId') || null,
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
  readonly rateLimits = WHATSAPP_RATE_LIMITS;
  private readonly settings: WhatsAppCloudSettings;

  constructor(
    inbox: AdapterInbox,
    private readonly fetchImpl: typeof fetch = fetch,
    /** The inbox's uploads and provider id cache; without it only media by URL can be sent. */
    private readonly media?: AdapterMedia,
  ) {
    if (inbox.channel !== ChannelKind.WHATSAPP) {
      throw new Error(`Inbox ${inbox.id}: the WhatsApp Cloud provider carries WhatsApp inboxes only, not ${inbox.channel}.`);
    }
    this.settings = whatsAppSettings(inbox.providerConfig);
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    if (!this.settings.phoneNumberId || !this.settings.accessToken) return notConfigured(NOT_CONFIGURED);
    const metaMediaIds = new Map<string, string>();
    for (const mediaId of uploadedMediaIds(message.content)) {
      const uploaded = await this.metaMediaId(mediaId, ctx.signal);
      if (!uploaded.ok) return { ok: false, failure: uploaded.failure };
      metaMediaIds.set(mediaId, uploaded.id);
    }
    const body = toWhatsAppBody(message.content, ctx.to, {
      replyTo: message.replyToChannelMessageId,
      callbackData: message.id,
      metaMediaIds,
    });
    if (typeof body === 'string') return { ok: false, failure: { kind: 'unsupported', code: 'unsupported', reason: body } };
    return this.postMessage(body, ctx.signal);
  }

  /** Reactions are messages of type `reaction`; an empty emoji removes ours. */
  async sendReaction(reaction: OutboundReaction, signal: AbortSignal): Promise<SendResult> {
    if (!this.settings.phoneNumberId || !this.settings.accessToken) return notConfigured(NOT_CONFIGURED);
    return this.postMessage(toWhatsAppReaction(reaction.to, reaction.channelMessageId, reaction.emoji), signal);
  }

  /** `POST /{phone-number-id}/messages`: the wamid, or the refusal classified. */
  private async postMessage(body: WaSendBody, signal: AbortSignal): Promise<SendResult> {
    let res: Response;
    try {
      res = await postGraphMessages(this.fetchImpl, this.settings, this.settings.phoneNumberId, body, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return { ok: false, failure: fetchFailure('WhatsApp', err) };
    }
    const json = (await res.json().catch(() => null)) as (WaErrorBody & { messages?: { id?: string }[] }) | null;
    const wamid = json?.messages?.[0]?.id;
    if (res.ok && typeof wamid === 'string' && wamid !== '') return { ok: true, channelMessageId: wamid };
    if (res.ok) return { ok: false, failure: noMessageId('WhatsApp') };
    return { ok: false, failure: whatsAppFailure(res.status, json, res.headers.get('retry-after')) };
  }

  /**
   * Meta's id for one of our uploads: from the inbox's cache while it lives, else the file is
   * pushed to `POST /{phone-number-id}/media` (multipart: messaging_product, type, file) and the
   * answered id remembered, so a file goes up once per inbox and not once per send. An upload
   * refused or lost is never `uncertain`: no message left, and uploading again is harmless.
   */
  private async metaMediaId(mediaId: string, signal: AbortSignal): Promise<{ ok: true; id: string } | { ok: false; failure: SendFailure }> {
    const media = this.media;
    if (!media)
      return {
        ok: false,
        failure: { kind: 'unsupported', code: 'unsupported', reason: 'This server cannot push uploaded files to WhatsApp.' },
      };
    const cached = await media.cachedProviderId(mediaId);
    if (cached) return { ok: true, id: cached };
    const file = await media.file(mediaId);
    if (!file) return { ok: false, failure: { kind: 'rejected', code: 'media_missing', reason: `Media ${mediaId} no longer exists.` } };
    const { phoneNumberId, accessToken, baseUrl } = this.settings;
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', file.mimeType);
    form.append('file', new Blob([await file.read()], { type: file.mimeType }), file.filename);
    let res: Response;
    try {
      res = await this.fetchImpl(`${baseUrl}/${encodeURIComponent(phoneNumberId)}/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}` },
        body: form,
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      return { ok: false, failure: { kind: 'temporary', code: 'network', reason: `WhatsApp media upload failed: ${networkCause(err)}` } };
    }
    const json = (await res.json().catch(() => null)) as (WaErrorBody & { id?: unknown }) | null;
    if (res.ok && typeof json?.id === 'string' && json.id !== '') {
      await media.rememberProviderId(mediaId, json.id, new Date(Date.now() + WHATSAPP_MEDIA_ID_TTL_MS));
      return { ok: true, id: json.id };
    }
    if (res.ok)
      return {
        ok: false,
        failure: { kind: 'temporary', code: 'bad_response', reason: 'WhatsApp accepted the upload but returned no media id.' },
      };
    const { uncertain: _lost, ...failure } = whatsAppFailure(res.status, json, res.headers.get('retry-after'));
    return { ok: false, failure: { ...failure, reason: `Media upload refused: ${failure.reason}` } };
  }

  /**
   * A customer's file: `GET /{media-id}` names a short-lived download URL (about 5 minutes), which
   * Meta serves only with the same Bearer token (Cloud API "Media": "Download media").
   */
  async fetchMedia(source: InboundMediaSource, signal: AbortSignal): Promise<FetchedMedia> {
    const { accessToken, baseUrl } = this.settings;
    if (!source.ref) throw new Error('the WhatsApp message names no media id');
    if (!accessToken) throw new Error('the inbox has no WhatsApp access token');
    const auth = { authorization: `Bearer ${accessToken}` };
    const lookup = await this.fetchImpl(`${baseUrl}/${encodeURIComponent(source.ref)}`, { headers: auth, signal });
    const info = (await lookup.json().catch(() => null)) as (WaErrorBody & { url?: unknown; mime_type?: unknown }) | null;
    if (!lookup.ok || typeof info?.url !== 'string')
      throw new Error(`WhatsApp did not name the file (HTTP ${lookup.status}${info?.error?.message ? `: ${info.error.message}` : ''})`);
    const url = new URL(info.url);
    if (!/^https?:$/.test(url.protocol)) throw new Error('WhatsApp named a download URL that is not http(s)');
    const download = await this.fetchImpl(url, { headers: auth, signal });
    if (!download.ok || !download.body) throw new Error(`WhatsApp refused the download (HTTP ${download.status})`);
    return {
      body: Readable.fromWeb(download.body as WebReadableStream<Uint8Array>),
      mimeType: typeof info.mime_type === 'string' ? info.mime_type : (source.mimeType ?? null),
      filename: source.filename ?? null,
    };
  }

  /**
   * The WABA's approved templates: `GET /{waba-id}/message_templates?status=APPROVED`, following
   * the `after` cursor while Meta names a next page.
   */
  async listTemplates(signal: AbortSignal): Promise<TemplateListResult> {
    const { businessAccountId, accessToken, baseUrl } = this.settings;
    if (!accessToken) return { ok: false, status: 'bad_credentials', message: 'The inbox has no WhatsApp access token.' };
    if (!businessAccountId)
      return {
        ok: false,
        status: 'not_found',
        message: "Set the inbox's businessAccountId (WhatsApp Business Account id) to list its templates.",
      };
    const templates: ProviderTemplate[] = [];
    let after: string | null = null;
    for (let page = 0; page < MAX_TEMPLATE_PAGES; page++) {
      const query = new URLSearchParams({ status: 'APPROVED', limit: '100', ...(after ? { after } : {}) });
      let res: Response;
      try {
        res = await this.fetchImpl(`${baseUrl}/${encodeURIComponent(businessAccountId)}/message_templates?${query}`, {
          headers: { authorization: `Bearer ${accessToken}` },
          signal,
        });
      } catch (err) {
        return { ok: false, status: 'unreachable', message: `WhatsApp could not be reached at ${baseUrl}: ${networkCause(err)}` };
      }
      const json = (await res.json().catch(() => null)) as WaErrorBody | null;
      if (!res.ok || json?.error) {
        const result = whatsAppConnectionResult(res.status, json, businessAccountId);
        const said = json?.error?.message ? ` Meta said: ${json.error.message}` : '';
        const status = result.status === 'ok' ? 'unreachable' : result.status;
        const message =
          status === 'not_found'
            ? `Meta does not know WhatsApp Business Account ${businessAccountId} (or this token cannot see it).${said}`
            : status === 'bad_credentials'
              ? `The access token may not read this account's templates.${said}`
              : `WhatsApp answered HTTP ${res.status} to the template list.${said}`;
        return { ok: false, status, message };
      }
      let parsed: ReturnType<typeof parseTemplatePage>;
      try {
        parsed = parseTemplatePage(json);
      } catch (err) {
        return { ok: false, status: 'unreachable', message: `WhatsApp answered an unexpected template list: ${(err as Error).message}` };
      }
      templates.push(...parsed.templates);
      after = parsed.after;
      if (!after) break;
    }
    return { ok: true, templates };
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
