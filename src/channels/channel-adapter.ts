import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { ChannelCapabilities, ChannelMediaRules, TextLengthUnit } from '../modules/channel/channel-rules';
import type { ChannelKind } from '../modules/channel/channel-kind';
import type { Inbox } from '../modules/inbox/inbox.entity';
import type { DeliveryStatus } from '../modules/message/delivery-status';
import type { StoredContent } from '../modules/message/message-content';

/**
 * How a provider refused a message. The kind decides what the delivery worker does:
 * `temporary` is retried with backoff (honouring `retryAfterMs`), every other kind fails the
 * message at once because sending the same thing again cannot succeed.
 */
export type SendFailureKind = 'temporary' | 'rejected' | 'auth' | 'window_closed' | 'unsupported';

/** A provider's refusal, normalised: `code` is stable (ours or the provider's), `reason` is for humans. */
export interface SendFailure {
  kind: SendFailureKind;
  code: string;
  reason: string;
  /** The provider asked us to wait this long before trying again (rate limits). */
  retryAfterMs?: number;
  /**
   * A `temporary` failure after which the provider may nevertheless have the message (the answer
   * was lost after the request reached it, or a 5xx the provider does not promise means "not
   * accepted"). An adapter without {@link ChannelAdapter.idempotentSends} then waits for the
   * provider to report it before sending again; one with it just retries.
   */
  uncertain?: boolean;
  /**
   * The provider throttled the sender (not just this message): the worker slows every send of
   * this inbox down for `retryAfterMs` (or its default pause), not only this one.
   */
  rateLimited?: boolean;
}

/** What a send attempt came to. */
export type SendResult = { ok: true; channelMessageId: string } | { ok: false; failure: SendFailure };

/** The outbound message as an adapter sees it: only what goes on the wire. */
export interface OutboundMessage {
  /** Switchboard's message id: passed as the provider's idempotency key where the provider has one. */
  id: string;
  content: StoredContent;
  /** The provider's id of the message this one replies to, when known. */
  replyToChannelMessageId?: string | null;
}

/** Everything an adapter needs besides the message itself. */
export interface SendContext {
  /** The customer's address on the channel (the conversation's external id). */
  to: string;
  /** Same as the message id: one logical send, however often it is attempted. */
  idempotencyKey: string;
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the worker shuts down; adapters should give up promptly. */
  signal: AbortSignal;
  /**
   * When the customer last wrote in this conversation, for providers whose send request depends on
   * the window (Messenger/Instagram: RESPONSE inside 24 h, the HUMAN_AGENT tag inside 7 days).
   */
  lastInboundAt?: Date | null;
  /**
   * The thread the reply belongs to, for adapters that set {@link ChannelAdapter.wantsThread}
   * (email: `Re:` subject, `In-Reply-To` and `References`): read from the message answered, or
   * else the conversation's latest customer message. Absent when neither carries one.
   */
  thread?: MessageThread | null;
}

/** A customer message's place in its provider thread (email), stored with its content. */
export interface MessageThread {
  /** The subject the customer wrote under. */
  subject: string | null;
  /** The provider ids of the thread, oldest first, ending with this message's own id (email `References`). */
  references: string[];
}

/** An agent's reaction to a customer message, as it goes to the provider. */
export interface OutboundReaction {
  /** The customer's address (the conversation's external id). */
  to: string;
  /** The provider's id of the message reacted to. */
  channelMessageId: string;
  /** The emoji, or null to take the reaction back. */
  emoji: string | null;
}

/** A customer wrote to the inbox. */
export interface MessageReceivedEvent {
  type: 'message_received';
  providerEventId: string;
  /** The customer's address as the provider gives it (normalised by the inbound service). */
  from: string;
  /** The customer's display name, when the provider tells it. */
  fromName?: string | null;
  channelMessageId: string;
  content: StoredContent;
  /** The provider's id of the message this one replies to, if any. */
  replyToChannelMessageId?: string | null;
  /**
   * Media the provider holds (or the webhook carries) for a `media` content: the webhook router
   * fetches it through {@link ChannelAdapter.fetchMedia}, checks size and type, stores it and sets
   * `content.mediaId` before the event is ingested.
   */
  media?: InboundMediaSource | null;
  /** The provider thread the message belongs to (email): stored with the content, for replies. */
  thread?: MessageThread | null;
  /**
   * The message is an opt-out keyword (STOP…) or an opt-in one (START…) on this channel: the
   * inbound service records it on the contact with the message, and sends to them are refused
   * (OPTED_OUT) until they opt in again. Null or absent: it changes nothing.
   */
  optOut?: OptOutChange | null;
  occurredAt: Date;
}

/** A customer's opt-out keyword: `stop` opts them out of the channel, `start` back in. */
export type OptOutChange = 'stop' | 'start';

/**
 * Header the webhook router sets (overwriting anything the caller sent) to the query string the
 * provider called the webhook URL with, without `?`: for providers that sign the full URL (Twilio).
 */
export const WEBHOOK_QUERY_HEADER = 'x-switchboard-webhook-query';

/** Where an inbound file comes from. Opaque to the core: only the adapter that made it reads `ref`. */
export interface InboundMediaSource {
  /** The provider's handle: a media id (WhatsApp), a URL (Twilio, Meta), a file id (Telegram). */
  ref?: string | null;
  /** Bytes that came in the webhook itself (email attachments): no fetch needed. */
  data?: Buffer | null;
  /** The type the provider declared (the stored type is sniffed from the bytes). */
  mimeType?: string | null;
  filename?: string | null;
}

/** An inbound file's bytes as the provider served them. */
export interface FetchedMedia {
  body: Readable | Buffer;
  mimeType?: string | null;
  filename?: string | null;
}

/**
 * Messenger-style watermark: every outbound message of the conversation with `address` sent at or
 * before `upTo` has reached `status` (DELIVERED or READ).
 */
export interface StatusWatermarkEvent {
  type: 'status_watermark';
  providerEventId: string;
  /** The customer's address (PSID/IGSID…). */
  address: string;
  status: DeliveryStatus;
  upTo: Date;
  occurredAt: Date;
}

/** A delivery status callback for a message we sent. */
export interface StatusChangedEvent {
  type: 'status_changed';
  providerEventId: string;
  channelMessageId: string;
  /**
   * Our message id as the provider echoes it (WhatsApp `biz_opaque_callback_data`), when it does:
   * ties the status to our message even when we never stored the channel message id (the answer
   * to our send was lost) or stored another copy's.
   */
  messageId?: string | null;
  status: DeliveryStatus;
  failure?: { code: string; reason: string } | null;
  occurredAt: Date;
}

/** A customer reacted to a message (or took their reaction back). */
export interface ReactionReceivedEvent {
  type: 'reaction_received';
  providerEventId: string;
  /** The message reacted to. */
  channelMessageId: string;
  from: string;
  /** The new emoji, or null when the reaction was removed. */
  emoji: string | null;
  removed: boolean;
  occurredAt: Date;
}

/** A provider webhook, translated out of the provider's wire format. */
export type NormalisedInboundEvent = MessageReceivedEvent | StatusChangedEvent | ReactionReceivedEvent | StatusWatermarkEvent;

/** What an inbox can do, for composers: the channel's rules as this provider carries them. */
export interface AdapterCapabilities extends ChannelCapabilities {
  readonly maxTextLength: number;
  readonly textLengthUnit: TextLengthUnit;
  readonly media: ChannelMediaRules;
  /**
   * The provider reports DELIVERED (and READ where `readReceipts`). False (Telegram): statuses end
   * at SENT, and no client should wait for more.
   */
  readonly deliveryReceipts: boolean;
}

/**
 * How fast one sender (a phone number, a bot, a page) may send, as the provider documents it.
 * The worker enforces them across instances; an inbox may lower `perSecond` in its settings.
 */
export interface SenderRateLimits {
  /** Sends per second from this inbox's sender. */
  perSecond: number;
  /** Sends per second to one recipient, with `recipientBurst` allowed at once (WhatsApp ~1 per 6 s). */
  perRecipientPerSecond?: number;
  recipientBurst?: number;
  /** Pause applied to the whole sender after a rate-limit answer without Retry-After. */
  rateLimitPauseMs?: number;
}

/** What an adapter that calls its provider over HTTP and is called back is built with, besides its inbox. */
export interface HttpAdapterDeps {
  fetch: typeof fetch;
  /** `<PUBLIC_URL>/webhooks/<inboxId>`: where the provider calls this inbox back (and, for some, the URL it signs). */
  webhookUrl: string;
  /** The inbox's uploads and signed URLs. */
  media?: AdapterMedia;
}

/** An uploaded file of the inbox's tenant, opened for an adapter (e.g. to push it to the provider). */
export interface AdapterMediaFile {
  id: string;
  mimeType: string;
  filename: string;
  size: number;
  sha256: string;
  /** Streams the bytes. */
  open(): Promise<Readable>;
  /** Reads the whole file (bounded by the upload limits). */
  read(): Promise<Buffer>;
}

/** What an adapter may do with Switchboard's media, for its own inbox. */
export interface AdapterMedia {
  /** The tenant's uploaded file, or null when there is none. */
  file(mediaId: string): Promise<AdapterMediaFile | null>;
  /** An absolute, signed URL a provider can download the file from (MMS, Messenger). Built on PUBLIC_URL. */
  publicUrl(mediaId: string): string;
  /** The provider's id for a file this inbox uploaded before, while unexpired (WhatsApp media ids). */
  cachedProviderId(mediaId: string): Promise<string | null>;
  /** Remembers the provider's id for a file until `expiresAt`. */
  rememberProviderId(mediaId: string, providerMediaId: string, expiresAt: Date): Promise<void>;
}

/** Thrown by `parseWebhook` for a body that is not in the provider's format (answered 400). */
export class WebhookPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookPayloadError';
  }
}

/**
 * The one interface every provider implements. An adapter is built per inbox (see
 * adapter-registry.ts) and holds that inbox's provider settings; provider quirks (wire formats,
 * error codes, address formats) stay behind it.
 */
export interface ChannelAdapter {
  /** The provider name, as stored in `Inbox.provider`. */
  readonly provider: string;
  readonly channel: ChannelKind;
  readonly capabilities: AdapterCapabilities;
  /**
   * Whether the provider deduplicates sends by our idempotency key (the message id). When true a
   * send whose outcome is unknown (timeout, crash) is simply sent again; when false it is
   * uncertain and waits for the provider's status callback (see DeliveryConfig.uncertainSettleMs).
   */
  readonly idempotentSends: boolean;
  /**
   * Hands a message to the provider. Never throws for a refusal: refusals come back as a
   * failure with a kind; a thrown error is treated as `temporary` by the worker.
   */
  send(message: OutboundMessage, ctx: SendContext): Promise<SendResult>;
  /** Whether a webhook request really comes from the provider (checked before anything is parsed). */
  verifySignature(rawBody: Buffer, headers: IncomingHttpHeaders): boolean;
  /**
   * Translates a verified webhook body into events; events the product does not use are dropped.
   * May be async where the provider's format needs an async parser (email's MIME).
   * @throws WebhookPayloadError when the body is not in the provider's format.
   */
  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): NormalisedInboundEvent[] | Promise<NormalisedInboundEvent[]>;
  /**
   * Answers a provider's subscription handshake (`GET /webhooks/:inboxId?...`), e.g. Meta's
   * `hub.challenge`: the body to echo, or null to refuse. Absent when the provider has none.
   */
  verifySubscription?(query: Record<string, unknown>): string | null;
  /**
   * Makes one cheap authenticated call to the provider (no message is sent) and says whether the
   * inbox's credentials and ids work. Never throws for an answer it understands. Absent when the
   * provider has nothing to call.
   */
  testConnection?(signal: AbortSignal): Promise<ConnectionTestResult>;
  /**
   * Registers the inbox with the provider (e.g. Telegram `setWebhook` with a secret token). Called
   * after an inbox is created or its settings change; its result is shown like a connection test.
   */
  connect?(signal: AbortSignal): Promise<ConnectionTestResult>;
  /** Downloads an inbound file named by a webhook. @throws on any failure (the message is kept without the file). */
  fetchMedia?(source: InboundMediaSource, signal: AbortSignal): Promise<FetchedMedia>;
  /**
   * Shows an agent's reaction to the customer (or removes it). Absent when the provider cannot
   * carry reactions; refusals come back as failures, like {@link send}.
   */
  sendReaction?(reaction: OutboundReaction, signal: AbortSignal): Promise<SendResult>;
  /**
   * The worker fills {@link SendContext.thread} for this adapter's sends (one extra query for a
   * message that answers nothing in particular). Absent/false: the adapter threads by id alone.
   */
  readonly wantsThread?: boolean;
  /** The sender's throughput limits; absent = unlimited (the sandbox). */
  readonly rateLimits?: SenderRateLimits;
  /**
   * The provider's approved message templates, for composers. Never throws for an answer it
   * understands. Absent when the provider has no templates.
   */
  listTemplates?(signal: AbortSignal): Promise<TemplateListResult>;
}

/** A button of a provider template. */
export interface ProviderTemplateButton {
  /** The provider's button type (WhatsApp: QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP, FLOW…). */
  type: string;
  text: string | null;
  /** A send must carry a parameter for it (a URL suffix, a coupon code). */
  takesParameter: boolean;
}

/** One component (header, body, footer, buttons) of a provider template. */
export interface ProviderTemplateComponent {
  /** HEADER, BODY, FOOTER or BUTTONS. */
  type: string;
  /** Headers: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION; null otherwise. */
  format: string | null;
  text: string | null;
  /** How many positional (`{{1}}`…) parameters the text takes. */
  parameterCount: number;
  /** Names of named (`{{first_name}}`) parameters, in order of first appearance. */
  namedParameters: string[];
  buttons: ProviderTemplateButton[];
}

/** An approved message template as the provider lists it. */
export interface ProviderTemplate {
  /** The provider's id, when it has one. */
  id: string | null;
  name: string;
  language: string;
  category: string | null;
  status: string;
  components: ProviderTemplateComponent[];
}

/** What {@link ChannelAdapter.listTemplates} found: the templates, or why they could not be listed. */
export type TemplateListResult =
  { ok: true; templates: ProviderTemplate[] } | { ok: false; status: Exclude<ConnectionTestStatus, 'ok'>; message: string };

/** What a connection test found: the credentials work, are refused, name nothing, or the provider could not be reached. */
export type ConnectionTestStatus = 'ok' | 'bad_credentials' | 'not_found' | 'unreachable';

/** The outcome of {@link ChannelAdapter.testConnection}: a status and a sentence for the admin. */
export interface ConnectionTestResult {
  status: ConnectionTestStatus;
  message: string;
}

/** Reads a header that may have been sent several times; the first value wins. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The settings an adapter is built from; providers read their own keys out of `providerConfig`.
 * The registry hands adapters `providerConfig` with the inbox's sealed `providerSecrets` opened
 * into it, so adapters never see ciphertext.
 */
export type AdapterInbox = Pick<Inbox, 'id' | 'tenantId' | 'channel' | 'provider' | 'providerConfig' | 'senderAddress'> &
  Partial<Pick<Inbox, 'providerSecrets'>>;
