import { registerEnumType } from 'type-graphql';

/**
 * The kind of channel a conversation happens on. The kind decides the rules (window, limits,
 * capabilities); the provider that carries the traffic is a separate concern (see `Inbox.provider`).
 */
export enum ChannelKind {
  WHATSAPP = 'whatsapp',
  SMS = 'sms',
  INSTAGRAM = 'instagram',
  MESSENGER = 'messenger',
  WEBCHAT = 'webchat',
  EMAIL = 'email',
  TELEGRAM = 'telegram',
}

registerEnumType(ChannelKind, {
  name: 'ChannelKind',
  description: 'The messaging channel a conversation happens on; it decides window, limits and capabilities.',
  valuesConfig: {
    WHATSAPP: { description: 'WhatsApp: 24-hour customer-service window, templates outside it; E.164 phone addresses.' },
    SMS: { description: 'SMS (and MMS for media): no window; texts are billed in segments; E.164 phone addresses.' },
    INSTAGRAM: {
      description:
        'Instagram Direct: 24-hour window with a 7-day human-agent extension; texts counted in UTF-8 bytes; Instagram-scoped user ids.',
    },
    MESSENGER: { description: 'Facebook Messenger: 24-hour window with a 7-day human-agent extension; page-scoped user ids.' },
    WEBCHAT: { description: 'The website chat widget: no window; visitor ids.' },
    EMAIL: { description: 'Email: no window; email addresses.' },
    TELEGRAM: { description: 'Telegram bots: no window; chat ids.' },
  },
});

/** Every channel kind, in declaration order (handy for exhaustive tests and seeding). */
export const ALL_CHANNEL_KINDS: readonly ChannelKind[] = Object.values(ChannelKind);
