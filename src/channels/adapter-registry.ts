import { revealSecret, type SecretKeyring } from '../lib/secrets';
import { channelCapabilities } from './capabilities';
import type { AdapterCapabilities, AdapterInbox, AdapterMedia, ChannelAdapter } from './channel-adapter';
import { instagramAdapter, INSTAGRAM_PROVIDER } from './instagram/instagram.adapter';
import { messengerAdapter, MESSENGER_PROVIDER } from './messenger/messenger.adapter';
import { EmailAdapter, EMAIL_PROVIDER } from './email/email.adapter';
import { SandboxAdapter, SANDBOX_PROVIDER } from './sandbox/sandbox.adapter';
import type { SandboxCarrier } from './sandbox/sandbox.carrier';
import { TwilioAdapter, TWILIO_PROVIDER } from './twilio/twilio.adapter';
import type { TemplateCache } from './template-cache';
import { TelegramAdapter, TELEGRAM_PROVIDER } from './telegram/telegram.adapter';
import { WhatsAppCloudAdapter, WHATSAPP_CLOUD_PROVIDER } from './whatsapp-cloud/whatsapp-cloud.adapter';

/** What adapter factories may use; built once per server. */
export interface AdapterDeps {
  /** Where providers call this server back for an inbox: `<public url>/webhooks/:inboxId`. */
  webhookUrl(inboxId: string): string;
  /** The simulated provider behind sandbox inboxes. */
  sandbox: SandboxCarrier;
  /** Server-wide secret sandbox inbox secrets are derived from. */
  sandboxSecret: string;
  /** HTTP client for real providers (tests may substitute one). */
  fetch: typeof fetch;
  /** Opens the inboxes' sealed provider secrets; without it an inbox with sealed secrets cannot be built. */
  secrets?: SecretKeyring;
  /** Switchboard's media as an inbox's adapter may use it (uploads to push, signed URLs, provider id cache). */
  media?: (inbox: AdapterInbox) => AdapterMedia;
  /** This server's short-lived cache of providers' template lists (`Inbox.templates`). */
  templates?: TemplateCache;
}

/**
 * The inbox as its adapter sees it: sealed secrets opened into `providerConfig` (legacy plaintext
 * values already there are kept as they are). @throws SecretDecryptionError, or Error without a keyring
 */
export function withOpenedSecrets(inbox: AdapterInbox, ring: SecretKeyring | undefined): AdapterInbox {
  const sealed = Object.entries(inbox.providerSecrets ?? {});
  if (sealed.length === 0) return inbox;
  if (!ring) throw new Error(`Inbox ${inbox.id} has encrypted secrets but this server has no secrets key.`);
  const opened = Object.fromEntries(sealed.map(([name, s]) => [name, revealSecret(ring, s.sealed, secretContext(inbox.id, name))]));
  return { ...inbox, providerConfig: { ...inbox.providerConfig, ...opened } };
}

/** What a sealed secret is bound to: its inbox and field (a value copied elsewhere does not open). */
export function secretContext(inboxId: string, name: string): string {
  return `inbox:${inboxId}/${name}`;
}

/** Builds the adapter of one inbox. Cheap and side-effect free: called per send and per webhook. */
export type AdapterFactory = (inbox: AdapterInbox, deps: AdapterDeps) => ChannelAdapter;

/** Every provider Switchboard speaks, by `Inbox.provider`. */
export const BUILTIN_ADAPTERS: Readonly<Record<string, AdapterFactory>> = {
  [SANDBOX_PROVIDER]: (inbox, deps) =>
    new SandboxAdapter(inbox, { carrier: deps.sandbox, webhookUrl: deps.webhookUrl(inbox.id), serverSecret: deps.sandboxSecret }),
  [WHATSAPP_CLOUD_PROVIDER]: (inbox, deps) => new WhatsAppCloudAdapter(inbox, deps.fetch, deps.media?.(inbox)),
  [MESSENGER_PROVIDER]: (inbox, deps) => messengerAdapter(inbox, { fetch: deps.fetch, media: deps.media?.(inbox) }),
  [INSTAGRAM_PROVIDER]: (inbox, deps) => instagramAdapter(inbox, { fetch: deps.fetch, media: deps.media?.(inbox) }),
  [EMAIL_PROVIDER]: (inbox, deps) => new EmailAdapter(inbox, deps.media?.(inbox)),
  [TWILIO_PROVIDER]: (inbox, deps) =>
    new TwilioAdapter(inbox, { fetch: deps.fetch, webhookUrl: deps.webhookUrl(inbox.id), media: deps.media?.(inbox) }),
  [TELEGRAM_PROVIDER]: (inbox, deps) =>
    new TelegramAdapter(inbox, { fetch: deps.fetch, webhookUrl: deps.webhookUrl(inbox.id), media: deps.media?.(inbox) }),
};

/** An inbox names a provider this server has no adapter for (a configuration error, not a send failure). */
export class UnknownProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly inboxId: string,
    known: readonly string[],
  ) {
    super(`Inbox ${inboxId} uses provider "${provider}", which this server has no adapter for (known: ${known.join(', ')}).`);
    this.name = 'UnknownProviderError';
  }
}

/** Provider name → adapter factory, bound to the server's adapter deps. */
export class AdapterRegistry {
  constructor(
    readonly deps: AdapterDeps,
    private readonly factories: Readonly<Record<string, AdapterFactory>> = BUILTIN_ADAPTERS,
  ) {}

  /** Provider names this registry knows. */
  get providers(): string[] {
    return Object.keys(this.factories);
  }

  has(provider: string): boolean {
    return Object.hasOwn(this.factories, provider);
  }

  /** The adapter for an inbox. @throws UnknownProviderError */
  forInbox(inbox: AdapterInbox): ChannelAdapter {
    if (!this.has(inbox.provider)) throw new UnknownProviderError(inbox.provider, inbox.id, this.providers);
    return this.factories[inbox.provider](withOpenedSecrets(inbox, this.deps.secrets), this.deps);
  }

  /** What a composer may offer in this inbox: the adapter's view, or the channel's rules when the provider is unknown. */
  capabilities(inbox: AdapterInbox): AdapterCapabilities {
    if (!this.has(inbox.provider)) return channelCapabilities(inbox.channel);
    try {
      return this.forInbox(inbox).capabilities;
    } catch {
      // A misconfigured inbox (e.g. a WhatsApp provider on an SMS inbox) still has its channel's rules.
      return channelCapabilities(inbox.channel);
    }
  }
}
