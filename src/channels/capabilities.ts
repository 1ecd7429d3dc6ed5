import { channelRules } from '../modules/channel/channel-rules';
import type { ChannelKind } from '../modules/channel/channel-kind';
import type { AdapterCapabilities } from './channel-adapter';

/** The capabilities of a channel kind as its rules state them (adapters narrow them if their provider can do less). */
export function channelCapabilities(kind: ChannelKind): AdapterCapabilities {
  const rules = channelRules(kind);
  return {
    ...rules.capabilities,
    maxTextLength: rules.maxTextLength,
    textLengthUnit: rules.textLengthUnit,
    media: rules.media,
    // Every channel's rules assume receipts; a provider without them (Telegram, email) says so.
    deliveryReceipts: true,
  };
}
