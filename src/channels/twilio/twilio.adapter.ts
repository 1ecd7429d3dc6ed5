import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ChannelKind } from '../../modules/channel/channel-kind';
import { channelCapabilities } from '../capabilities';
import {
  headerValue,
  WEBHOOK_QUERY_HEADER,
  type AdapterCapabilities,
  type AdapterInbox,
  type HttpAdapterDeps,
  type ChannelAdapter,
  type ConnectionTestResult,
  type FetchedMedia,
  type InboundMediaSource,
  type NormalisedInboundEvent,
  type OutboundMessage,
  type SendContext,
  type SendResult,
  type SenderRateLimits,
} from '../channel-adapter';
import { fetchFailure, networkCause, noMessageId, notConfigured } from '../http-failure';
import {
  MESSAGE_ID_PARAM,
  parseForm,
  parseTwilioWebhook,
  toTwilioForm,
  twilioConnectionResult,
  twilioFailure,
  validTwilioSignature,
  type TwilioErrorBody,
} from './twilio.wire';

/** The provider name of Twilio Programmable Messaging inboxes. */
export const TWILIO_PROVIDER = 'twilio';

/** Twilio's REST base used when an inbox sets none. */
export const TWILIO_API_URL = 'https://api.twilio.com';

/** A Twilio inbox's `providerConfig` (auth token opened from its sealed secret). */
export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** Send through a messaging service (its sender pool) instead of the inbox's number. */
  messagingServiceSid: string | null;
  /** REST base URL (tests point it at a local fake server). */
  baseUrl: string;
}

/** Reads the Twilio keys of an inbox's providerConfig; missing credentials are empty (sends fail as `auth`). */
export function twilioSettings(config: Record<string, unknown>): TwilioSettings {
  const s = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');
  return {
    accountSid: s('accountSid'),
    authToken: s('authToken'),
    messagingServiceSid: s('messagingServiceSid') || null,
    baseUrl: (s('baseUrl') || TWILIO_API_URL).replace(/\/+$/, ''),
  };
}

/** What the Twilio adapter uses besides the inbox: `webhookUrl` is where Twilio calls back, and the URL it signs. */
export type TwilioAdapterDeps = HttpAdapterDeps;

/**
 * Adapter for Twilio's Messages API (SMS/MMS). Messages has no idempotency key (`I-Twilio-Idempotency-Token`
 * is for webhooks Twilio sends, not for creating messages), so our message id travels in the
 * per-message StatusCallback URL's query; Twilio signs that full URL, so the id in a verified
 * status callback ties it to our message even when the answer to our send was lost (a timeout or
 * 5xx is then `uncertain`, not resent). Outbound MMS files go by our signed media URL.
 */
export class TwilioAdapter implements ChannelAdapter {
  readonly provider = TWILIO_PROVIDER;
  readonly channel = ChannelKind.SMS;
  readonly idempotentSends = false;
  readonly capabilities: AdapterCapabilities = channelCapabilities(ChannelKind.SMS);
  /** A US long code sends 1 message segment per second (Twilio's "Understanding queueing"). */
  readonly rateLimits: SenderRateLimits = { perSecond: 1 };
  private readonly settings: TwilioSettings;
  private readonly sender: string | null;

  constructor(
    inbox: AdapterInbox,
    private readonly deps: TwilioAdapterDeps,
  ) {
    if (inbox.channel !== ChannelKind.SMS) {
      throw new Error(`Inbox ${inbox.id}: the Twilio provider carries SMS inboxes only, not ${inbox.channel}.`);
    }
    this.settings = twilioSettings(inbox.providerConfig);
    this.sender = inbox.senderAddress || null;
  }

  private get authorization(): string {
    return `Basic ${Buffer.from(`${this.settings.accountSid}:${this.settings.authToken}`).toString('base64')}`;
  }

  private accountUrl(suffix: string): string {
    return `${this.settings.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(this.settings.accountSid)}${suffix}`;
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const { accountSid, authToken, messagingServiceSid } = this.settings;
    if (!accountSid || !authToken) return notConfigured('The inbox has no Twilio account SID or auth token.');
    const callback = new URL(this.deps.webhookUrl);
    callback.searchParams.set(MESSAGE_ID_PARAM, message.id);
    const media = this.deps.media;
    const form = toTwilioForm(message.content, {
      to: ctx.to,
      from: this.sender,
      messagingServiceSid,
      statusCallback: callback.toString(),
      mediaUrl: (mediaId) => media?.publicUrl(mediaId) ?? null,
    });
    if (typeof form === 'string') return { ok: false, failure: { kind: 'unsupported', code: 'unsupported', reason: form } };

    let res: Response;
    try {
      res = await this.deps.fetch(this.accountUrl('/Messages.json'), {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal: ctx.signal,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return { ok: false, failure: fetchFailure('Twilio', err) };
    }
    const json = (await res.json().catch(() => null)) as (TwilioErrorBody & { sid?: unknown }) | null;
    if (res.ok && typeof json?.sid === 'string' && json.sid !== '') return { ok: true, channelMessageId: json.sid };
    if (res.ok) return { ok: false, failure: noMessageId('Twilio', 'message SID') };
    return { ok: false, failure: twilioFailure(res.status, json, res.headers.get('retry-after')) };
  }

  /** The URL Twilio called: our webhook URL (PUBLIC_URL) with the query the router saw. */
  private calledUrl(headers: IncomingHttpHeaders): string {
    const query = headerValue(headers, WEBHOOK_QUERY_HEADER);
    return query ? `${this.deps.webhookUrl}?${query}` : this.deps.webhookUrl;
  }

  verifySignature(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    return validTwilioSignature(
      this.settings.authToken,
      headerValue(headers, 'x-twilio-signature'),
      this.calledUrl(headers),
      parseForm(rawBody),
    );
  }

  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): NormalisedInboundEvent[] {
    return parseTwilioWebhook(rawBody, new URLSearchParams(headerValue(headers, WEBHOOK_QUERY_HEADER) ?? ''));
  }

  /**
   * Downloads `MediaUrlN`. Twilio answers it with a redirect to a short-lived signed CDN URL, which
   * fetch follows (dropping Authorization when the redirect leaves Twilio's origin, as the fetch
   * standard requires). Credentials only go to the inbox's Twilio base URL, never to a URL elsewhere.
   */
  async fetchMedia(source: InboundMediaSource, signal: AbortSignal): Promise<FetchedMedia> {
    if (!source.ref) throw new Error('the Twilio media has no URL');
    const url = new URL(source.ref);
    const ours = url.origin === new URL(this.settings.baseUrl).origin;
    const res = await this.deps.fetch(url, { headers: ours ? { authorization: this.authorization } : {}, redirect: 'follow', signal });
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`Twilio answered HTTP ${res.status} for the media`);
    }
    return {
      body: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      mimeType: res.headers.get('content-type') ?? source.mimeType ?? null,
      filename: null,
    };
  }

  /** `GET /2010-04-01/Accounts/{AccountSid}.json` with Basic auth: the account, 401 for a bad token, 404 for an unknown SID. */
  async testConnection(signal: AbortSignal): Promise<ConnectionTestResult> {
    const { accountSid, authToken, baseUrl } = this.settings;
    if (!authToken) return { status: 'bad_credentials', message: 'The inbox has no Twilio auth token.' };
    if (!accountSid) return { status: 'not_found', message: 'The inbox has no Twilio account SID.' };
    let res: Response;
    try {
      res = await this.deps.fetch(this.accountUrl('.json'), { headers: { authorization: this.authorization }, signal });
    } catch (err) {
      return { status: 'unreachable', message: `Twilio could not be reached at ${baseUrl}: ${networkCause(err)}` };
    }
    const json = (await res.json().catch(() => null)) as (TwilioErrorBody & { friendly_name?: string }) | null;
    return twilioConnectionResult(res.status, json, accountSid);
  }
}
