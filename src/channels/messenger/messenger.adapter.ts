import { ChannelKind } from '../../modules/channel/channel-kind';
import type { AdapterInbox } from '../channel-adapter';
import { MetaMessagingAdapter, type MetaMessagingDeps, type MetaMessagingProfile } from '../meta-graph/meta-messaging.adapter';
import { MESSENGER_DIALECT, MESSENGER_WEBHOOK_OBJECT, messengerReaction } from './messenger.wire';

/** The provider name of Messenger inboxes (Meta's Messenger Platform). */
export const MESSENGER_PROVIDER = 'messenger';

/** Graph API base used when an inbox sets none. */
export const MESSENGER_GRAPH_URL = 'https://graph.facebook.com/v21.0';

/**
 * Messenger as a {@link MetaMessagingProfile}. The variant used is the page's own endpoint,
 * `POST graph.facebook.com/{page-id}/messages` with a page access token (Messenger Platform
 * "Send API"); `/me/messages` is the same call with the page implied by the token.
 *
 * Rate limits: Meta documents no per-second figure for the Send API, only a rolling page quota
 * (200 calls × people the page talked to in 24 h) enforced with codes 613/32. We pace a page at
 * 40 sends a second and pause it a minute after a throttling answer, which carries no Retry-After.
 */
export const MESSENGER_PROFILE: MetaMessagingProfile = {
  provider: MESSENGER_PROVIDER,
  channel: ChannelKind.MESSENGER,
  dialect: MESSENGER_DIALECT,
  webhookObject: MESSENGER_WEBHOOK_OBJECT,
  defaultBaseUrl: MESSENGER_GRAPH_URL,
  idKey: 'pageId',
  tokenKey: 'pageAccessToken',
  idLabel: 'page',
  lookupFields: 'id,name',
  rateLimits: { perSecond: 40, rateLimitPauseMs: 60_000 },
  deliveryReceipts: true,
  reactionValue: messengerReaction,
};

/** Builds the adapter of a Messenger inbox. */
export function messengerAdapter(inbox: AdapterInbox, deps: MetaMessagingDeps): MetaMessagingAdapter {
  return new MetaMessagingAdapter(MESSENGER_PROFILE, inbox, deps);
}
