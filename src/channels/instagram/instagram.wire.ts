import type { MetaMessagingDialect } from '../meta-graph/meta-messaging.wire';

/**
 * Instagram's place in the shared Messenger Platform wire format (src/channels/meta-graph/
 * meta-messaging.wire.ts): webhooks come as `object: instagram`, `read` names one message (`mid`)
 * rather than a watermark, there is no `delivery` event, and the generic template has no call
 * button (Instagram Platform "Send a message", "Generic template", "Webhook notification examples").
 */
export const INSTAGRAM_WEBHOOK_OBJECT = 'instagram';

/** Instagram's Send API dialect. */
export const INSTAGRAM_DIALECT: MetaMessagingDialect = { name: 'Instagram', buttons: new Set(['reply', 'link']) };

/** Emoji that mean Instagram's one business reaction. */
const HEARTS: ReadonlySet<string> = new Set(['❤️', '❤', '♥️', '♥']);

/**
 * The reaction a business sends: Instagram's `sender_action: react` takes `payload.reaction: "love"`
 * only (Instagram Messaging "Send a message: reactions"), so any other emoji is unsupported rather
 * than silently turned into a heart.
 */
export function instagramReaction(emoji: string): { value: string } | { unsupported: string } {
  return HEARTS.has(emoji) ? { value: 'love' } : { unsupported: 'Instagram lets a business react with ❤️ only.' };
}
