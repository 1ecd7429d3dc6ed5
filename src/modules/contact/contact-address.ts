import { normalizePhone } from '../../lib/phone';
import { ChannelKind } from '../channel/channel-kind';

/**
 * One spelling per customer address, so "+48 600 123 456" and "0048-600-123-456" find the same
 * ContactIdentity. Phone channels use E.164 (international format required: an inbox has no
 * default country); email is lowercased (no provider treats the local part case-sensitively);
 * platform ids are opaque, so they are only trimmed.
 */

const MAX_PLATFORM_ID = 256;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function platformId(raw: string): string | null {
  const id = raw.trim();
  return id.length > 0 && id.length <= MAX_PLATFORM_ID && !/\s/.test(id) ? id : null;
}

function email(raw: string): string | null {
  const address = raw.trim().toLowerCase();
  return address.length <= 254 && EMAIL.test(address) ? address : null;
}

const NORMALIZERS: Readonly<Record<ChannelKind, (raw: string) => string | null>> = {
  [ChannelKind.WHATSAPP]: (raw) => normalizePhone(raw),
  [ChannelKind.SMS]: (raw) => normalizePhone(raw),
  [ChannelKind.INSTAGRAM]: platformId,
  [ChannelKind.MESSENGER]: platformId,
  [ChannelKind.WEBCHAT]: platformId,
  [ChannelKind.EMAIL]: email,
  [ChannelKind.TELEGRAM]: platformId,
};

/** What a valid address looks like on each channel, for error messages. */
export const ADDRESS_FORMAT: Readonly<Record<ChannelKind, string>> = {
  [ChannelKind.WHATSAPP]: 'a phone number in international format (+48 600 123 456)',
  [ChannelKind.SMS]: 'a phone number in international format (+1 415 555 0123)',
  [ChannelKind.INSTAGRAM]: 'an Instagram-scoped user id',
  [ChannelKind.MESSENGER]: 'a page-scoped user id',
  [ChannelKind.WEBCHAT]: 'a webchat visitor id',
  [ChannelKind.EMAIL]: 'an email address',
  [ChannelKind.TELEGRAM]: 'a Telegram chat id',
};

/** The canonical form of `raw` on `channel`, or null when it cannot be an address there. */
export function normalizeAddress(channel: ChannelKind, raw: string): string | null {
  return NORMALIZERS[channel](raw);
}
