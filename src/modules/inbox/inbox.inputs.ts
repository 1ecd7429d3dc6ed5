import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { SmtpSecurity } from '../../channels/email/email.settings';
import { OneOf } from '../../graphql/one-of';
import { ChannelKind } from '../channel/channel-kind';

@InputType('SandboxSettingsInput', { description: 'The built-in simulated provider: carries any channel kind, no credentials.' })
export class SandboxSettingsInput {
  @Field(() => Int, {
    nullable: true,
    description: 'Simulated delay before a send is answered and between status callbacks, 0–60000 ms (default 0).',
  })
  latencyMs?: number | null;

  @Field(() => Float, { nullable: true, description: 'Probability (0–1) that a send fails temporarily (default 0: deterministic).' })
  failureRate?: number | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Recipients the sandbox rejects permanently, as a real provider rejects unknown numbers.',
  })
  failRecipients?: string[] | null;
}

@InputType('WhatsAppCloudSettingsInput', {
  description:
    "Meta's WhatsApp Cloud API. Secrets (`accessToken`, `appSecret`, `verifyToken`) are write-only: stored encrypted, never returned. On update, a secret left out keeps its stored value; an empty string removes an optional one.",
})
export class WhatsAppCloudSettingsInput {
  @Field({ description: 'The phone number id from WhatsApp > API Setup (digits).' })
  phoneNumberId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'A permanent (system user) access token with whatsapp_business_messaging. Required when creating.',
  })
  accessToken?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The Meta app secret: checks every webhook's X-Hub-Signature-256. Required when creating.",
  })
  appSecret?: string | null;

  @Field(() => String, { nullable: true, description: 'A token you choose and paste into the webhook configuration (hub.verify_token).' })
  verifyToken?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Graph API base URL (default https://graph.facebook.com/v21.0); point it at a test double.',
  })
  baseUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The WhatsApp Business Account (WABA) id from WhatsApp > API Setup (digits): needed to list message templates.',
  })
  businessAccountId?: string | null;
}

@InputType('MessengerSettingsInput', {
  description:
    "Meta's Messenger Platform (a Facebook page). Secrets (`pageAccessToken`, `appSecret`, `verifyToken`) are write-only: stored encrypted, never returned. On update, a secret left out keeps its stored value; an empty string removes an optional one.",
})
export class MessengerSettingsInput {
  @Field({ description: 'The Facebook page id (digits); customers write to this page.' })
  pageId!: string;

  @Field(() => String, { nullable: true, description: 'A page access token with pages_messaging. Required when creating.' })
  pageAccessToken?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The Meta app secret: checks every webhook's X-Hub-Signature-256. Required when creating.",
  })
  appSecret?: string | null;

  @Field(() => String, { nullable: true, description: 'A token you choose and paste into the webhook configuration (hub.verify_token).' })
  verifyToken?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Graph API base URL (default https://graph.facebook.com/v21.0); point it at a test double.',
  })
  baseUrl?: string | null;
}

@InputType('InstagramSettingsInput', {
  description:
    'Instagram Messaging (Instagram API with Instagram login). Secrets (`accessToken`, `appSecret`, `verifyToken`) are write-only: stored encrypted, never returned. On update, a secret left out keeps its stored value; an empty string removes an optional one.',
})
export class InstagramSettingsInput {
  @Field({ description: 'The Instagram professional account id (digits), as webhooks name it in entry.id.' })
  accountId!: string;

  @Field(() => String, {
    nullable: true,
    description: "The account's Instagram user access token with instagram_business_manage_messages. Required when creating.",
  })
  accessToken?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The Instagram app secret: checks every webhook's X-Hub-Signature-256. Required when creating.",
  })
  appSecret?: string | null;

  @Field(() => String, { nullable: true, description: 'A token you choose and paste into the webhook configuration (hub.verify_token).' })
  verifyToken?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Instagram API base URL (default https://graph.instagram.com/v21.0); point it at a test double.',
  })
  baseUrl?: string | null;
}

@InputType('EmailSettingsInput', {
  description:
    'Email: replies go out over SMTP, customer mail comes in as raw MIME posted to the webhook. Secrets (`smtpPassword`, `inboundSecret`) are write-only: stored encrypted, never returned. On update, a secret left out keeps its stored value; an empty string removes an optional one.',
})
export class EmailSettingsInput {
  @Field({ description: 'The SMTP server to send through (host name or IP address).' })
  smtpHost!: string;

  @Field(() => Int, { nullable: true, description: 'The SMTP port, 1–65535 (default 465 with TLS, else 587).' })
  smtpPort?: number | null;

  @Field(() => SmtpSecurity, { nullable: true, description: 'How the SMTP connection is protected (default STARTTLS).' })
  smtpSecure?: SmtpSecurity | null;

  @Field(() => String, { nullable: true, description: 'The SMTP login; leave out for a relay that needs none.' })
  smtpUser?: string | null;

  @Field(() => String, { nullable: true, description: 'The SMTP password (or app password / API key used as one).' })
  smtpPassword?: string | null;

  @Field(() => String, { nullable: true, description: 'Display name shown before the sender address, e.g. "Acme Support".' })
  fromName?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A secret you choose: inbound webhooks carry it as the Basic-auth password or sign the body with it (X-Switchboard-Signature). Required when creating.',
  })
  inboundSecret?: string | null;
}

@InputType('TwilioSettingsInput', {
  description:
    "Twilio Programmable Messaging (SMS/MMS). The sender is the inbox's `senderAddress` (E.164) unless `messagingServiceSid` is set. `authToken` is write-only: stored encrypted, never returned; on update, left out keeps the stored one.",
})
export class TwilioSettingsInput {
  @Field({ description: 'The Account SID from the Twilio Console (AC followed by 32 hex digits).' })
  accountSid!: string;

  @Field(() => String, {
    nullable: true,
    description: "The account's Auth Token: authenticates sends and checks every webhook's X-Twilio-Signature. Required when creating.",
  })
  authToken?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Send through this messaging service (MG…) and its sender pool instead of the inbox number.',
  })
  messagingServiceSid?: string | null;

  @Field(() => String, { nullable: true, description: 'REST API base URL (default https://api.twilio.com); point it at a test double.' })
  baseUrl?: string | null;
}

@InputType('TelegramSettingsInput', {
  description:
    'A Telegram bot (Bot API). The bot token is write-only: stored encrypted, never returned; left out on update it is kept. Saving the settings registers the webhook with Telegram.',
})
export class TelegramSettingsInput {
  @Field(() => String, { nullable: true, description: 'The bot token from @BotFather (`<bot id>:<token>`). Required when creating.' })
  botToken?: string | null;

  @Field(() => String, { nullable: true, description: 'Bot API base URL (default https://api.telegram.org); point it at a test double.' })
  baseUrl?: string | null;
}

/**
 * Provider settings: exactly one member, naming the provider. Members to come: twilio, messenger,
 * instagram, telegram, email (one member each; see provider-settings.ts).
 */
@OneOf()
@InputType('InboxSettingsInput', { description: 'Who carries the traffic and how: set exactly one member.' })
export class InboxSettingsInput {
  @Field(() => SandboxSettingsInput, { nullable: true, description: 'The built-in simulated provider (any channel kind).' })
  sandbox?: SandboxSettingsInput | null;

  @Field(() => WhatsAppCloudSettingsInput, { nullable: true, description: "Meta's WhatsApp Cloud API (WHATSAPP inboxes)." })
  whatsappCloud?: WhatsAppCloudSettingsInput | null;

  @Field(() => MessengerSettingsInput, { nullable: true, description: "Meta's Messenger Platform (MESSENGER inboxes)." })
  messenger?: MessengerSettingsInput | null;

  @Field(() => InstagramSettingsInput, { nullable: true, description: 'Instagram Messaging (INSTAGRAM inboxes).' })
  instagram?: InstagramSettingsInput | null;
  @Field(() => EmailSettingsInput, { nullable: true, description: 'Email over SMTP, with raw MIME inbound webhooks (EMAIL inboxes).' })
  email?: EmailSettingsInput | null;
  @Field(() => TwilioSettingsInput, { nullable: true, description: 'Twilio Programmable Messaging (SMS inboxes).' })
  twilio?: TwilioSettingsInput | null;
  @Field(() => TelegramSettingsInput, { nullable: true, description: 'A Telegram bot (TELEGRAM inboxes).' })
  telegram?: TelegramSettingsInput | null;
}

@InputType('CreateInboxInput', { description: 'A new inbox: a sender on one channel, carried by one provider.' })
export class CreateInboxInput {
  @Field({ description: 'What teammates call it (1–100 characters).' })
  name!: string;

  @Field(() => ChannelKind, { description: 'The channel; fixed once created.' })
  channel!: ChannelKind;

  @Field({ description: 'The address customers see messages come from (a phone number, page id, bot name, email address…).' })
  senderAddress!: string;

  @Field(() => InboxSettingsInput, { description: 'The provider and its settings.' })
  settings!: InboxSettingsInput;

  @Field(() => Int, { nullable: true, description: "Override of the channel's customer-service window, in hours (1–720)." })
  windowHours?: number | null;

  @Field(() => Int, { nullable: true, description: 'Override of the human-agent window (Messenger, Instagram), in hours (1–720).' })
  humanAgentWindowHours?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "Sends per second this inbox may make (above 0, at most 1000); lowers, never raises, the provider's own limit.",
  })
  sendsPerSecond?: number | null;
}

@InputType('UpdateInboxInput', { description: 'Changes to an inbox; fields left out stay as they are.' })
export class UpdateInboxInput {
  @Field(() => ID, { description: 'The inbox to change.' })
  inboxId!: string;

  @Field(() => String, { nullable: true, description: 'A new name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'A new sender address.' })
  senderAddress?: string | null;

  @Field(() => InboxSettingsInput, {
    nullable: true,
    description: 'New provider settings (replace the non-secret ones; secrets left out are kept). A different member switches provider.',
  })
  settings?: InboxSettingsInput | null;

  @Field(() => Int, { nullable: true, description: 'New window override in hours; 0 removes the override.' })
  windowHours?: number | null;

  @Field(() => Int, { nullable: true, description: 'New human-agent window override in hours; 0 removes the override.' })
  humanAgentWindowHours?: number | null;

  @Field(() => Float, { nullable: true, description: 'New sends-per-second limit (above 0, at most 1000); 0 removes it.' })
  sendsPerSecond?: number | null;
}
