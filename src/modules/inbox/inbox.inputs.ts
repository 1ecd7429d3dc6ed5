import { Field, Float, ID, InputType, Int } from 'type-graphql';
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
}
