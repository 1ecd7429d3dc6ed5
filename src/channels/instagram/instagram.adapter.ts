import { ChannelKind } from '../../modules/channel/channel-kind';
import type { AdapterInbox } from '../channel-adapter';
import { MetaMessagingAdapter, type MetaMessagingDeps, type MetaMessagingProfile } from '../meta-graph/meta-messaging.adapter';
import { INSTAGRAM_DIALECT, INSTAGRAM_WEBHOOK_OBJECT, instagramReaction } from './instagram.wire';

/** The provider name of Instagram inboxes (Instagram Messaging). */
export const INSTAGRAM_PROVIDER = 'instagram';

/** Instagram API base used when an inbox sets none. */
export const INSTAGRAM_GRAPH_URL = 'https://graph.instagram.com/v21.0';

/**
 * Instagram as a {@link MetaMessagingProfile}. The variant used is the Instagram API with Instagram
 * Login: `POST graph.instagram.com/{ig-user-id}/messages` with the account's Instagram user access
 * token, webhooks signed with the Instagram app secret (the Facebook-Login variant is the same
 * body sent to `graph.facebook.com/{page-id}/messages` with a page token).
 *
 * Rate limits as documented for Instagram Messaging: 100 calls a second per professional account
 * for text, links, reactions and stickers (10 a second for audio and video, which Meta enforces
 * with a throttling answer that pauses the account), and a minute's pause after code 613/32.
 */
export const INSTAGRAM_PROFILE: MetaMessagingProfile = {
  provider: INSTAGRAM_PROVIDER,
  channel: ChannelKind.INSTAGRAM,
  dialect: INSTAGRAM_DIALECT,
  webhookObject: INSTAGRAM_WEBHOOK_OBJECT,
  defaultBaseUrl: INSTAGRAM_GRAPH_URL,
  idKey: 'accountId',
  tokenKey: 'accessToken',
  idLabel: 'Instagram account',
  lookupFields: 'id,username',
  rateLimits: { perSecond: 100, rateLimitPauseMs: 60_000 },
  // Instagram reports reads (`read.mid`) but never deliveries: statuses go SENT → READ.
  deliveryReceipts: false,
  reactionValue: instagramReaction,
};

/** Builds the adapter of an Instagram inbox. */
export function instagramAdapter(inbox: AdapterInbox, deps: MetaMessagingDeps): MetaMessagingAdapter {
  return new MetaMessagingAdapter(INSTAGRAM_PROFILE, inbox, deps);
}
