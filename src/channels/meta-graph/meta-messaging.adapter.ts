import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ChannelKind } from '../../modules/channel/channel-kind';
import { channelCapabilities } from '../capabilities';
import type {
  AdapterCapabilities,
  AdapterInbox,
  AdapterMedia,
  ChannelAdapter,
  ConnectionTestResult,
  FetchedMedia,
  InboundMediaSource,
  NormalisedInboundEvent,
  OutboundMessage,
  OutboundReaction,
  SendContext,
  SendResult,
  SenderRateLimits,
} from '../channel-adapter';
import { fetchFailure, networkCause, noMessageId, notConfigured } from '../http-failure';
import { answerMetaSubscription, postGraphMessages, verifyMetaSignature } from './meta-graph';
import {
  messagingType,
  metaSendFailure,
  parseMetaMessagingWebhook,
  toMetaMessages,
  type GraphErrorBody,
  type MetaMessagingDialect,
} from './meta-messaging.wire';

/** What sets Messenger and Instagram apart; everything else is the one Messenger Platform. */
export interface MetaMessagingProfile {
  provider: string;
  channel: ChannelKind;
  dialect: MetaMessagingDialect;
  /** The webhook `object` (`page`, `instagram`). */
  webhookObject: string;
  defaultBaseUrl: string;
  /** providerConfig keys of the sender id and its token. */
  idKey: string;
  tokenKey: string;
  /** What the id names, in messages ("page", "Instagram account"). */
  idLabel: string;
  /** `fields` of the id lookup testConnection makes (asking a node for a field it lacks is an error). */
  lookupFields: string;
  rateLimits: SenderRateLimits;
  /** Whether the channel reports DELIVERED (Instagram reports only reads). */
  deliveryReceipts: boolean;
  /** The `payload.reaction` of a `react` sender action, or why this emoji cannot be sent. */
  reactionValue(emoji: string): { value: string } | { unsupported: string };
}

/** An inbox's Messenger-Platform settings, read out of providerConfig (missing credentials are empty: sends fail as `auth`). */
export interface MetaMessagingSettings {
  accountId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string | null;
  baseUrl: string;
}

function readSettings(profile: MetaMessagingProfile, config: Record<string, unknown>): MetaMessagingSettings {
  const s = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');
  return {
    accountId: s(profile.idKey),
    accessToken: s(profile.tokenKey),
    appSecret: s('appSecret'),
    verifyToken: s('verifyToken') || null,
    baseUrl: (s('baseUrl') || profile.defaultBaseUrl).replace(/\/+$/, ''),
  };
}

/** What the adapter is built with besides the inbox. */
export interface MetaMessagingDeps {
  fetch: typeof fetch;
  /** Switchboard's media for this inbox (signed public URLs of uploads). */
  media?: AdapterMedia | null;
  /** Clock for the 24 h / 7 day choice (tests pin it). */
  now?: () => Date;
}

/**
 * Adapter for the Messenger Platform Send API and webhooks, configured per channel by a
 * {@link MetaMessagingProfile}. The Send API has no idempotency key, so a send whose answer was
 * lost is `uncertain` (Meta reports it only through a watermark, which names no message).
 */
export class MetaMessagingAdapter implements ChannelAdapter {
  readonly provider: string;
  readonly channel: ChannelKind;
  readonly idempotentSends = false;
  readonly capabilities: AdapterCapabilities;
  readonly rateLimits: SenderRateLimits;
  protected readonly settings: MetaMessagingSettings;

  constructor(
    protected readonly profile: MetaMessagingProfile,
    inbox: AdapterInbox,
    private readonly deps: MetaMessagingDeps,
  ) {
    if (inbox.channel !== profile.channel) {
      throw new Error(`Inbox ${inbox.id}: the ${profile.provider} provider carries ${profile.channel} inboxes only, not ${inbox.channel}.`);
    }
    this.provider = profile.provider;
    this.channel = profile.channel;
    this.capabilities = { ...channelCapabilities(profile.channel), deliveryReceipts: profile.deliveryReceipts };
    this.rateLimits = profile.rateLimits;
    this.settings = readSettings(profile, inbox.providerConfig);
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const name = this.profile.dialect.name;
    if (!this.settings.accountId || !this.settings.accessToken) {
      return notConfigured(`The inbox has no ${this.profile.idLabel} id or access token.`);
    }
    const how = messagingType(ctx.lastInboundAt, this.deps.now?.() ?? new Date());
    if (!how) {
      return {
        ok: false,
        failure: {
          kind: 'window_closed',
          code: 'window_closed',
          reason: `${name} allows replies only within 7 days of the customer's last message.`,
        },
      };
    }
    const media = this.deps.media;
    const messages = toMetaMessages(message.content, this.profile.dialect, (id) => (media ? media.publicUrl(id) : null));
    if (typeof messages === 'string') return { ok: false, failure: { kind: 'unsupported', code: 'unsupported', reason: messages } };
    let last: SendResult | null = null;
    for (const m of messages) {
      last = await this.post({ recipient: { id: ctx.to }, ...how, message: m }, ctx.signal);
      if (!last.ok) return last;
    }
    return last!;
  }

  /** Shows (or takes back) the page's reaction to a customer message: sender_action react/unreact. */
  async sendReaction(reaction: OutboundReaction, signal: AbortSignal): Promise<SendResult> {
    let payload: Record<string, string> = { message_id: reaction.channelMessageId };
    if (reaction.emoji !== null) {
      const value = this.profile.reactionValue(reaction.emoji);
      if ('unsupported' in value) return { ok: false, failure: { kind: 'unsupported', code: 'unsupported', reason: value.unsupported } };
      payload = { ...payload, reaction: value.value };
    }
    const result = await this.post(
      { recipient: { id: reaction.to }, sender_action: reaction.emoji === null ? 'unreact' : 'react', payload },
      signal,
      false,
    );
    return result.ok ? { ok: true, channelMessageId: reaction.channelMessageId } : result;
  }

  /** One Send API call: `POST {baseUrl}/{id}/messages` with the token as a Bearer header (kept out of URLs and logs). */
  private async post(body: Record<string, unknown>, signal: AbortSignal, needsMid = true): Promise<SendResult> {
    const name = this.profile.dialect.name;
    let res: Response;
    try {
      res = await postGraphMessages(this.deps.fetch, this.settings, this.settings.accountId, body, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return { ok: false, failure: fetchFailure(name, err) };
    }
    const json = (await res.json().catch(() => null)) as (GraphErrorBody & { message_id?: string }) | null;
    if (res.ok && !json?.error) {
      if (!needsMid) return { ok: true, channelMessageId: '' };
      if (typeof json?.message_id === 'string' && json.message_id !== '') return { ok: true, channelMessageId: json.message_id };
      return { ok: false, failure: noMessageId(name) };
    }
    return { ok: false, failure: metaSendFailure(name, res.status, json, res.headers.get('retry-after')) };
  }

  verifySignature(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    return verifyMetaSignature(this.settings.appSecret, rawBody, headers);
  }

  parseWebhook(rawBody: Buffer): NormalisedInboundEvent[] {
    return parseMetaMessagingWebhook(rawBody, { object: this.profile.webhookObject, accountId: this.settings.accountId || null });
  }

  verifySubscription(query: Record<string, unknown>): string | null {
    return answerMetaSubscription(this.settings.verifyToken, query);
  }

  /**
   * Downloads an attachment by the CDN URL the webhook named. The URL is signed by Meta, so no
   * token goes with it (it must not leak to a CDN host).
   */
  async fetchMedia(source: InboundMediaSource, signal: AbortSignal): Promise<FetchedMedia> {
    if (!source.ref) throw new Error('The attachment has no URL.');
    const res = await this.deps.fetch(source.ref, { signal });
    if (!res.ok || !res.body) throw new Error(`${this.profile.dialect.name} media answered HTTP ${res.status}.`);
    return {
      body: Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
      mimeType: res.headers.get('content-type')?.split(';')[0].trim() || source.mimeType || null,
      filename: source.filename ?? null,
    };
  }

  /** `GET {baseUrl}/{id}` with the token: 190 is a bad token, 100/803 an id Meta does not know (or this token cannot see). */
  async testConnection(signal: AbortSignal): Promise<ConnectionTestResult> {
    const { accountId, accessToken, baseUrl } = this.settings;
    const { idLabel, dialect } = this.profile;
    if (!accessToken) return { status: 'bad_credentials', message: `The inbox has no ${dialect.name} access token.` };
    if (!accountId) return { status: 'not_found', message: `The inbox has no ${idLabel} id.` };
    let res: Response;
    try {
      res = await this.deps.fetch(`${baseUrl}/${encodeURIComponent(accountId)}?fields=${this.profile.lookupFields}`, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal,
      });
    } catch (err) {
      return { status: 'unreachable', message: `${dialect.name} could not be reached at ${baseUrl}: ${networkCause(err)}` };
    }
    const json = (await res.json().catch(() => null)) as (GraphErrorBody & { name?: string; username?: string }) | null;
    return metaConnectionResult(dialect.name, idLabel, accountId, res.status, json);
  }
}

/** Reads Meta's answer to the id lookup of {@link MetaMessagingAdapter.testConnection} (pure). */
export function metaConnectionResult(
  name: string,
  idLabel: string,
  id: string,
  status: number,
  json: (GraphErrorBody & { name?: string; username?: string }) | null,
): ConnectionTestResult {
  const error = json?.error;
  const said = error?.message ? ` Meta said: ${error.message}` : '';
  if (status >= 200 && status < 300 && !error) {
    const who = json?.name ?? (json?.username ? `@${json.username}` : null);
    return { status: 'ok', message: `Connected to ${idLabel} ${id}${who ? ` (${who})` : ''}.` };
  }
  if (error?.code === 190 || status === 401) return { status: 'bad_credentials', message: `The access token was refused.${said}` };
  if (error?.code === 100 || error?.code === 803 || status === 404)
    return { status: 'not_found', message: `Meta does not know ${idLabel} id ${id} (or this token cannot see it).${said}` };
  if (error?.code === 10 || error?.code === 200 || status === 403)
    return { status: 'bad_credentials', message: `The access token may not use this ${idLabel}.${said}` };
  return { status: 'unreachable', message: `${name} answered HTTP ${status}.${said}` };
}
