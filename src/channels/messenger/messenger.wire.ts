import type { MetaMessagingDialect } from '../meta-graph/meta-messaging.wire';

/**
 * Messenger's place in the shared Messenger Platform wire format (src/channels/meta-graph/
 * meta-messaging.wire.ts): webhooks come as `object: page`, and the generic template takes all
 * three button types (postback, web_url, phone_number).
 */
export const MESSENGER_WEBHOOK_OBJECT = 'page';

/** Messenger's Send API dialect. */
export const MESSENGER_DIALECT: MetaMessagingDialect = { name: 'Messenger', buttons: new Set(['reply', 'link', 'call']) };

/**
 * The reaction a page sends: Messenger's `sender_action: react` takes any emoji as
 * `payload.reaction` (Messenger Platform "Sender Actions: React or unreact to a message").
 */
export function messengerReaction(emoji: string): { value: string } {
  return { value: emoji };
}
