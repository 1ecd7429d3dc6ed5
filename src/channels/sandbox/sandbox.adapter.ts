import type { IncomingHttpHeaders } from 'node:http';
import { supportedContentKinds } from '../../modules/channel/channel-rules';
import { ContentKind } from '../../modules/message/content-kind';
import type { ChannelKind } from '../../modules/channel/channel-kind';
import { channelCapabilities } from '../capabilities';
import type {
  AdapterCapabilities,
  AdapterInbox,
  ChannelAdapter,
  ConnectionTestResult,
  NormalisedInboundEvent,
  OutboundMessage,
  SendContext,
  SendResult,
} from '../channel-adapter';
import type { SandboxCallbackTarget, SandboxCarrier } from './sandbox.carrier';
import { sandboxSettings, sandboxWebhookSecret, type SandboxSettings } from './sandbox.settings';
import { parseSandboxWebhook, verifySandboxSignature } from './sandbox.wire';

/** The provider name of sandbox inboxes. */
export const SANDBOX_PROVIDER = 'sandbox';

/** What the sandbox adapter is built with (see the adapter registry). */
export interface SandboxAdapterDeps {
  carrier: SandboxCarrier;
  /** `POST /webhooks/:inboxId` of this server, where the sandbox reports back. */
  webhookUrl: string;
  /** The server-wide secret inbox secrets are derived from when an inbox sets none. */
  serverSecret: string;
}

/**
 * Adapter for the built-in simulated provider. It can carry an inbox of any channel kind and
 * behaves like one of that kind (its capabilities are the channel's).
 */
export class SandboxAdapter implements ChannelAdapter {
  readonly provider = SANDBOX_PROVIDER;
  /** The carrier answers a repeated message id without delivering it again. */
  readonly idempotentSends = true;
  readonly channel: ChannelKind;
  readonly capabilities: AdapterCapabilities;
  private readonly settings: SandboxSettings;
  private readonly target: SandboxCallbackTarget;

  constructor(
    private readonly inbox: AdapterInbox,
    private readonly deps: SandboxAdapterDeps,
  ) {
    this.channel = inbox.channel;
    this.capabilities = channelCapabilities(inbox.channel);
    this.settings = sandboxSettings(inbox.providerConfig);
    this.target = { url: deps.webhookUrl, secret: sandboxWebhookSecret(inbox.id, this.settings, deps.serverSecret) };
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    if (!supportedContentKinds(this.channel).includes(message.content.kind) || message.content.kind === ContentKind.NOTE) {
      return {
        ok: false,
        failure: {
          kind: 'unsupported',
          code: 'unsupported',
          reason: `A ${this.channel} inbox cannot carry ${message.content.kind} content.`,
        },
      };
    }
    return this.deps.carrier.send({
      inboxId: this.inbox.id,
      messageId: ctx.idempotencyKey,
      to: ctx.to,
      content: message.content,
      settings: this.settings,
      readReceipts: this.capabilities.readReceipts,
      callback: this.target,
      signal: ctx.signal,
    });
  }

  verifySignature(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    return verifySandboxSignature(this.target.secret, rawBody, headers);
  }

  parseWebhook(rawBody: Buffer): NormalisedInboundEvent[] {
    return parseSandboxWebhook(rawBody);
  }

  /**
   * Plays the customer: the sandbox posts a signed inbound-message webhook to this server, which
   * ingests it like any provider's. Resolves with the HTTP status the webhook got.
   */
  simulateInbound(input: { from: string; text: string; name?: string | null }) {
    return this.deps.carrier.simulateInbound(this.target, input);
  }

  /** The sandbox is in process: there are no credentials to get wrong. */
  async testConnection(): Promise<ConnectionTestResult> {
    return { status: 'ok', message: 'The sandbox is built in: there is nothing to connect.' };
  }

  /** Plays the customer reacting to one of our messages (emoji null removes it). */
  simulateReaction(input: { from: string; channelMessageId: string; emoji: string | null }): Promise<number> {
    return this.deps.carrier.simulateReaction(this.target, input);
  }
}
