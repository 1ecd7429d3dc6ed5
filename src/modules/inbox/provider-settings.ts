import { INSTAGRAM_PROVIDER } from '../../channels/instagram/instagram.adapter';
import { MESSENGER_PROVIDER } from '../../channels/messenger/messenger.adapter';
import { EMAIL_PROVIDER, SmtpSecurity } from '../../channels/email/email.settings';
import { SANDBOX_PROVIDER } from '../../channels/sandbox/sandbox.adapter';
import { TWILIO_PROVIDER } from '../../channels/twilio/twilio.adapter';
import { TELEGRAM_PROVIDER } from '../../channels/telegram/telegram.adapter';
import { WHATSAPP_CLOUD_PROVIDER } from '../../channels/whatsapp-cloud/whatsapp-cloud.adapter';
import type { FieldViolation } from '../../lib/errors';
import { ChannelKind } from '../channel/channel-kind';

/**
 * Provider settings, one entry per provider: what an inbox of that provider is configured with,
 * which of it is secret, which channels it carries and how to connect it. The GraphQL input
 * (`InboxSettingsInput`) and the CLI's `--settings` JSON have one member per entry; adding a
 * provider is one entry here, one input class, and its adapter in the registry.
 */

/** How one setting is checked. Secrets are write-only: stored sealed, shown only as configured + hint. */
export type SettingRule =
  | { kind: 'string'; required: boolean; secret: boolean; pattern?: RegExp; patternHint?: string; maxLength?: number }
  | { kind: 'url'; required: boolean }
  | { kind: 'int'; required: boolean; min: number; max: number }
  | { kind: 'number'; required: boolean; min: number; max: number }
  | { kind: 'stringList'; required: boolean; maxItems: number }
  | { kind: 'choice'; required: boolean; values: readonly string[] };

/** Where setup steps may point the user. */
export interface SetupContext {
  /** `<PUBLIC_URL>/webhooks/<inboxId>`: what to paste into the provider's console. */
  webhookUrl: string;
  /** The non-secret settings as stored. */
  config: Readonly<Record<string, unknown>>;
}

/** One provider's settings. */
export interface ProviderSpec {
  /** `Inbox.provider`, the adapter registry's key. */
  provider: string;
  /** Channel kinds the provider carries; null = any (the sandbox simulates them all). */
  channels: readonly ChannelKind[] | null;
  fields: Readonly<Record<string, SettingRule>>;
  /** What an admin does to connect the inbox, in order (shown as `Inbox.setupSteps`). */
  setupSteps(ctx: SetupContext): string[];
}

/** The members of the settings input (GraphQL and CLI), each naming one provider. */
export enum SettingsMember {
  SANDBOX = 'sandbox',
  WHATSAPP_CLOUD = 'whatsappCloud',
  MESSENGER = 'messenger',
  INSTAGRAM = 'instagram',
  EMAIL = 'email',
  TWILIO = 'twilio',
  TELEGRAM = 'telegram',
}

/** Every provider Switchboard can configure, by settings member; exhaustive. */
export const PROVIDER_SPECS: Readonly<Record<SettingsMember, ProviderSpec>> = {
  [SettingsMember.SANDBOX]: {
    provider: SANDBOX_PROVIDER,
    channels: null,
    fields: {
      latencyMs: { kind: 'int', required: false, min: 0, max: 60_000 },
      failureRate: { kind: 'number', required: false, min: 0, max: 1 },
      failRecipients: { kind: 'stringList', required: false, maxItems: 100 },
    },
    setupSteps: () => [
      'Nothing to connect: the built-in sandbox simulates the channel, with the latency and failure rate set here.',
      'Send with sendMessage; add #fail, #fail:temporary or #fail:delivery to a text to rehearse failures.',
      'Play the customer with simulateInboundMessage.',
    ],
  },
  [SettingsMember.WHATSAPP_CLOUD]: {
    provider: WHATSAPP_CLOUD_PROVIDER,
    channels: [ChannelKind.WHATSAPP],
    fields: {
      phoneNumberId: { kind: 'string', required: true, secret: false, pattern: /^\d{5,32}$/, patternHint: 'digits only' },
      accessToken: { kind: 'string', required: true, secret: true, maxLength: 1024 },
      appSecret: { kind: 'string', required: true, secret: true, maxLength: 256 },
      verifyToken: { kind: 'string', required: false, secret: true, maxLength: 256 },
      baseUrl: { kind: 'url', required: false },
      businessAccountId: { kind: 'string', required: false, secret: false, pattern: /^\d{5,32}$/, patternHint: 'digits only' },
    },
    setupSteps: ({ webhookUrl, config }) => [
      'In Meta for Developers, open your app > WhatsApp > API Setup and copy the phone number id and a permanent (system user) access token with whatsapp_business_messaging.',
      'In App settings > Basic, copy the app secret: it checks the signature of every webhook.',
      `In WhatsApp > Configuration, set the callback URL to ${webhookUrl} and the verify token to the one saved here, then subscribe to the "messages" field.`,
      `Run testInboxConnection to check the token and phone number id${typeof config.phoneNumberId === 'string' ? ` (${config.phoneNumberId})` : ''}.`,
      'To offer approved message templates (Inbox.templates), save the WhatsApp Business Account id from WhatsApp > API Setup as businessAccountId; the token needs whatsapp_business_management.',
    ],
  },
  [SettingsMember.MESSENGER]: {
    provider: MESSENGER_PROVIDER,
    channels: [ChannelKind.MESSENGER],
    fields: {
      pageId: { kind: 'string', required: true, secret: false, pattern: /^\d{5,32}$/, patternHint: 'digits only' },
      pageAccessToken: { kind: 'string', required: true, secret: true, maxLength: 1024 },
      appSecret: { kind: 'string', required: true, secret: true, maxLength: 256 },
      verifyToken: { kind: 'string', required: false, secret: true, maxLength: 256 },
      baseUrl: { kind: 'url', required: false },
    },
    setupSteps: ({ webhookUrl, config }) => [
      'In Meta for Developers, add Messenger to your app, connect the Facebook page and generate a page access token (pages_messaging).',
      'In App settings > Basic, copy the app secret: it checks the signature of every webhook.',
      `In Messenger > Settings > Webhooks, set the callback URL to ${webhookUrl} and the verify token to the one saved here, then subscribe the page to messages, message_deliveries, message_reads, message_reactions and messaging_postbacks.`,
      `Run testInboxConnection to check the token and page id${typeof config.pageId === 'string' ? ` (${config.pageId})` : ''}.`,
    ],
  },
  [SettingsMember.INSTAGRAM]: {
    provider: INSTAGRAM_PROVIDER,
    channels: [ChannelKind.INSTAGRAM],
    fields: {
      accountId: { kind: 'string', required: true, secret: false, pattern: /^\d{5,32}$/, patternHint: 'digits only' },
      accessToken: { kind: 'string', required: true, secret: true, maxLength: 1024 },
      appSecret: { kind: 'string', required: true, secret: true, maxLength: 256 },
      verifyToken: { kind: 'string', required: false, secret: true, maxLength: 256 },
      baseUrl: { kind: 'url', required: false },
    },
    setupSteps: ({ webhookUrl, config }) => [
      'In Meta for Developers, add Instagram (API setup with Instagram login) to your app, add the professional account and generate its access token (instagram_business_manage_messages).',
      'Copy the Instagram app secret from the same page: it checks the signature of every webhook.',
      `Configure webhooks with the callback URL ${webhookUrl} and the verify token saved here, then subscribe to messages, messaging_seen, message_reactions and messaging_postbacks.`,
      `Run testInboxConnection to check the token and account id${typeof config.accountId === 'string' ? ` (${config.accountId})` : ''}.`,
    ],
  },
  [SettingsMember.EMAIL]: {
    provider: EMAIL_PROVIDER,
    channels: [ChannelKind.EMAIL],
    fields: {
      smtpHost: {
        kind: 'string',
        required: true,
        secret: false,
        maxLength: 253,
        pattern: /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:.]+\]?$/,
        patternHint: 'a host name or IP address',
      },
      smtpPort: { kind: 'int', required: false, min: 1, max: 65_535 },
      smtpSecure: { kind: 'choice', required: false, values: Object.values(SmtpSecurity) },
      smtpUser: { kind: 'string', required: false, secret: false, maxLength: 320 },
      smtpPassword: { kind: 'string', required: false, secret: true, maxLength: 1024 },
      fromName: { kind: 'string', required: false, secret: false, maxLength: 100 },
      inboundSecret: { kind: 'string', required: true, secret: true, maxLength: 256 },
    },
    setupSteps: ({ webhookUrl, config }) => [
      `Outgoing mail goes through ${typeof config.smtpHost === 'string' ? config.smtpHost : 'your SMTP server'} from the inbox's sender address; make sure SPF/DKIM of that domain allow this server.`,
      `Point your inbound-mail service (Mailgun, Postmark, SendGrid Inbound Parse "raw", a mail server pipe…) at ${webhookUrl}, posting the raw RFC 822 message.`,
      'Authenticate it in one of two ways: sign the body with X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the body keyed with the inbound secret>, or put the inbound secret in the URL as the Basic-auth password (https://inbound:<secret>@host/webhooks/…).',
      'Run testInboxConnection to log in to the SMTP server without sending anything.',
    ],
  },
  [SettingsMember.TWILIO]: {
    provider: TWILIO_PROVIDER,
    channels: [ChannelKind.SMS],
    fields: {
      accountSid: {
        kind: 'string',
        required: true,
        secret: false,
        pattern: /^AC[0-9a-fA-F]{32}$/,
        patternHint: 'AC followed by 32 hex digits',
      },
      authToken: { kind: 'string', required: true, secret: true, maxLength: 256 },
      messagingServiceSid: {
        kind: 'string',
        required: false,
        secret: false,
        pattern: /^MG[0-9a-fA-F]{32}$/,
        patternHint: 'MG followed by 32 hex digits',
      },
      baseUrl: { kind: 'url', required: false },
    },
    setupSteps: ({ webhookUrl, config }) => [
      'In the Twilio Console, copy the Account SID and Auth Token (Account > API keys & tokens): the token also checks every webhook (X-Twilio-Signature).',
      typeof config.messagingServiceSid === 'string'
        ? `In Messaging > Services > ${config.messagingServiceSid} > Integration, set "Send a webhook" with the request URL ${webhookUrl} (HTTP POST).`
        : `In Phone Numbers > Manage > Active numbers, open the inbox's number and under Messaging set "A message comes in" to Webhook ${webhookUrl} (HTTP POST).`,
      'Delivery statuses need no setup: each message names its own status callback. PUBLIC_URL must be reachable by Twilio (it also fetches MMS files from it).',
      'Run testInboxConnection to check the Account SID and Auth Token.',
    ],
  },
  [SettingsMember.TELEGRAM]: {
    provider: TELEGRAM_PROVIDER,
    channels: [ChannelKind.TELEGRAM],
    fields: {
      // BotFather tokens are `<bot id>:<35 characters>`.
      botToken: {
        kind: 'string',
        required: true,
        secret: true,
        pattern: /^\d{3,20}:[A-Za-z0-9_-]{20,100}$/,
        patternHint: '<bot id>:<token> as BotFather gives it',
      },
      baseUrl: { kind: 'url', required: false },
    },
    setupSteps: ({ webhookUrl }) => [
      'In Telegram, talk to @BotFather: /newbot (or /token for an existing bot) and copy the bot token.',
      `Save it here: Switchboard registers ${webhookUrl} as the bot's webhook (setWebhook, with a secret token it checks on every update) whenever the settings are saved.`,
      'Run testInboxConnection to check the token (getMe). Customers reach the inbox by opening a chat with the bot.',
    ],
  },
};

/** The spec of a stored provider name, or null for a provider with no settings member. */
export function specOfProvider(provider: string): ProviderSpec | null {
  return Object.values(PROVIDER_SPECS).find((s) => s.provider === provider) ?? null;
}

/** Names of the secret settings of a provider. */
export function secretNames(spec: ProviderSpec): string[] {
  return Object.entries(spec.fields)
    .filter(([, rule]) => rule.kind === 'string' && rule.secret)
    .map(([name]) => name);
}

/** One provider member of the settings input, checked: plain settings and the secrets given. */
export interface ParsedProviderSettings {
  member: SettingsMember;
  spec: ProviderSpec;
  /** Non-secret settings, complete (they replace what is stored). */
  config: Record<string, unknown>;
  /** Secrets given in this input; a secret left out keeps its stored value, an empty string removes it. */
  secrets: Record<string, string>;
  /** Where the member sits in the input (`input.settings.whatsappCloud`), for error paths. */
  field: string;
}

/**
 * Checks one member's values (from GraphQL, or untyped CLI JSON) against its rules. Returns the
 * violations, all of them, rather than throwing at the first, so a form can mark every bad field.
 * Required secrets are not checked here: on update they may already be stored (see missingSecrets).
 */
export function checkProviderSettings(
  field: string,
  member: SettingsMember,
  value: unknown,
): { parsed: ParsedProviderSettings | null; violations: FieldViolation[] } {
  const spec = PROVIDER_SPECS[member];
  const violations: FieldViolation[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { parsed: null, violations: [{ field, message: 'must be an object of settings.' }] };
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(spec.fields, key) && input[key] !== undefined)
      violations.push({ field: `${field}.${key}`, message: 'is not a setting of this provider.' });
  }
  const config: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [name, rule] of Object.entries(spec.fields)) {
    const path = `${field}.${name}`;
    const raw = input[name];
    const secret = rule.kind === 'string' && rule.secret;
    if (raw === undefined || raw === null || (raw === '' && !secret)) {
      if (rule.required && !secret) violations.push({ field: path, message: 'is required.' });
      continue;
    }
    const problem = checkValue(rule, raw);
    if (problem) {
      violations.push({ field: path, message: problem });
      continue;
    }
    const clean = typeof raw === 'string' && !secret ? raw.trim() : raw;
    if (secret) secrets[name] = raw as string;
    else config[name] = rule.kind === 'url' ? (clean as string).replace(/\/+$/, '') : clean;
  }
  return { parsed: violations.length ? null : { member, spec, config, secrets, field }, violations };
}

/** Why a value breaks its rule, or null. */
function checkValue(rule: SettingRule, raw: unknown): string | null {
  switch (rule.kind) {
    case 'string': {
      if (typeof raw !== 'string') return 'must be a string.';
      if (raw !== raw.trim() || /[\r\n]/.test(raw))
        return 'must not start or end with spaces or contain line breaks (pasted with extra characters?).';
      if (rule.maxLength && raw.length > rule.maxLength) return `must be at most ${rule.maxLength} characters.`;
      if (rule.pattern && raw !== '' && !rule.pattern.test(raw)) return `is not valid (${rule.patternHint ?? rule.pattern.source}).`;
      return null;
    }
    case 'url': {
      if (typeof raw !== 'string') return 'must be a string.';
      let url: URL;
      try {
        url = new URL(raw.trim());
      } catch {
        return 'must be an absolute http(s) URL.';
      }
      return /^https?:$/.test(url.protocol) && !url.search && !url.hash
        ? null
        : 'must be an absolute http(s) URL without query or fragment.';
    }
    case 'int':
      return Number.isInteger(raw) && (raw as number) >= rule.min && (raw as number) <= rule.max
        ? null
        : `must be a whole number from ${rule.min} to ${rule.max}.`;
    case 'number':
      return typeof raw === 'number' && Number.isFinite(raw) && raw >= rule.min && raw <= rule.max
        ? null
        : `must be a number from ${rule.min} to ${rule.max}.`;
    case 'stringList':
      return Array.isArray(raw) && raw.length <= rule.maxItems && raw.every((r) => typeof r === 'string' && r.trim() !== '')
        ? null
        : `must be a list of at most ${rule.maxItems} non-empty strings.`;
    case 'choice':
      return typeof raw === 'string' && rule.values.includes(raw) ? null : `must be one of ${rule.values.join(', ')}.`;
  }
}

/** Required secrets that are neither given nor kept from what is stored: one violation each. */
export function missingSecrets(settings: ParsedProviderSettings, stored: ReadonlySet<string>): FieldViolation[] {
  return Object.entries(settings.spec.fields)
    .filter(([, rule]) => rule.kind === 'string' && rule.secret && rule.required)
    .filter(([name]) => !(settings.secrets[name] || (stored.has(name) && settings.secrets[name] !== '')))
    .map(([name]) => ({ field: `${settings.field}.${name}`, message: 'is required.' }));
}
