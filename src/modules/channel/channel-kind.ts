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
});

/** Every channel kind, in declaration order (handy for exhaustive tests and seeding). */
export const ALL_CHANNEL_KINDS: readonly ChannelKind[] = Object.values(ChannelKind);
