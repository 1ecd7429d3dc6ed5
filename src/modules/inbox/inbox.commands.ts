import { Errors, type FieldViolation } from '../../lib/errors';
import { parseId } from '../../lib/parse-id';
import { ALL_CHANNEL_KINDS, type ChannelKind } from '../channel/channel-kind';
import { checkProviderSettings, PROVIDER_SPECS, SettingsMember, type ParsedProviderSettings, type ProviderSpec } from './provider-settings';

/**
 * Inbox commands, parsed at the edge (GraphQL resolvers and the CLI alike) from untrusted input:
 * every violation is collected and reported at once as BAD_USER_INPUT naming its field, before
 * anything is read or written.
 */

export interface CreateInboxCommand {
  name: string;
  channel: ChannelKind;
  senderAddress: string;
  settings: ParsedProviderSettings;
  windowHours: number | null;
  humanAgentWindowHours: number | null;
  sendsPerSecond: number | null;
}

export interface UpdateInboxCommand {
  inboxId: string;
  name?: string;
  senderAddress?: string;
  settings?: ParsedProviderSettings;
  /** null removes the override. */
  windowHours?: number | null;
  humanAgentWindowHours?: number | null;
  /** null removes the limit. */
  sendsPerSecond?: number | null;
}

const MEMBERS = Object.values(SettingsMember);
const MAX_WINDOW_HOURS = 720;

type Raw = Record<string, unknown>;

function asObject(field: string, value: unknown, violations: FieldViolation[]): Raw | null {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Raw;
  violations.push({ field, message: 'must be an object.' });
  return null;
}

function text(field: string, value: unknown, max: number, violations: FieldViolation[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    violations.push({ field, message: 'must be a non-empty string.' });
    return undefined;
  }
  const trimmed = value.trim();
  if ([...trimmed].length > max) violations.push({ field, message: `must be at most ${max} characters.` });
  return trimmed;
}

/** A window override: 1–720 hours; with `zeroClears`, 0 (or null) removes it. */
function hours(field: string, value: unknown, zeroClears: boolean, violations: FieldViolation[]): number | null {
  if (value === null || value === undefined || (zeroClears && value === 0)) return null;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_WINDOW_HOURS) {
    violations.push({
      field,
      message: `must be a whole number of hours from 1 to ${MAX_WINDOW_HOURS}${zeroClears ? ' (0 removes the override)' : ''}.`,
    });
    return null;
  }
  return value as number;
}

/** Most sends per second an inbox may be set to (no provider allows more from one sender). */
const MAX_SENDS_PER_SECOND = 1000;

/** A sends-per-second limit: a number above 0 up to {@link MAX_SENDS_PER_SECOND}; null (or 0 when `zeroClears`) for none. */
function sendRate(field: string, value: unknown, zeroClears: boolean, violations: FieldViolation[]): number | null {
  if (value === null || value === undefined || (zeroClears && value === 0)) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_SENDS_PER_SECOND) {
    violations.push({
      field,
      message: `must be a number above 0 and at most ${MAX_SENDS_PER_SECOND}${zeroClears ? ' (0 removes the limit)' : ''}.`,
    });
    return null;
  }
  return value;
}

/** The settings input: exactly one member set (as `@oneOf` demands of GraphQL callers, checked again for the CLI). */
function settings(field: string, value: unknown, violations: FieldViolation[]): ParsedProviderSettings | undefined {
  const raw = asObject(field, value, violations);
  if (!raw) return undefined;
  const unknown = Object.keys(raw).filter((k) => !MEMBERS.includes(k as SettingsMember) && raw[k] !== undefined);
  for (const k of unknown) violations.push({ field: `${field}.${k}`, message: `is not a provider (known: ${MEMBERS.join(', ')}).` });
  const set = MEMBERS.filter((m) => raw[m] !== undefined && raw[m] !== null);
  if (set.length !== 1) {
    if (unknown.length === 0) {
      violations.push({
        field,
        message: `set exactly one of ${MEMBERS.join(', ')}${set.length ? ` (got ${set.join(' and ')})` : ''}.`,
      });
    }
    return undefined;
  }
  const checked = checkProviderSettings(`${field}.${set[0]}`, set[0], raw[set[0]]);
  violations.push(...checked.violations);
  return checked.parsed ?? undefined;
}

/** Whether a provider carries a channel kind; a violation naming `field` otherwise. */
export function channelViolation(field: string, spec: ProviderSpec, channel: ChannelKind): FieldViolation | null {
  if (!spec.channels || spec.channels.includes(channel)) return null;
  return {
    field,
    message: `${spec.provider} carries ${spec.channels.map((c) => c.toUpperCase()).join(', ')} inboxes, not ${channel.toUpperCase()}.`,
  };
}

/** `createInbox(input)` / `inbox create` → a command. @throws AppError BAD_USER_INPUT */
export function parseCreateInbox(field: string, value: unknown): CreateInboxCommand {
  const violations: FieldViolation[] = [];
  const raw = asObject(field, value, violations) ?? {};
  const name = text(`${field}.name`, raw.name, 100, violations);
  const senderAddress = text(`${field}.senderAddress`, raw.senderAddress, 255, violations);
  const channel = ALL_CHANNEL_KINDS.includes(raw.channel as ChannelKind) ? (raw.channel as ChannelKind) : undefined;
  if (!channel) violations.push({ field: `${field}.channel`, message: `must be one of ${ALL_CHANNEL_KINDS.join(', ')}.` });
  const parsed = settings(`${field}.settings`, raw.settings, violations);
  if (parsed) {
    const required = Object.entries(parsed.spec.fields).filter(
      ([k, r]) => r.kind === 'string' && r.secret && r.required && !parsed.secrets[k],
    );
    for (const [k] of required) violations.push({ field: `${parsed.field}.${k}`, message: 'is required.' });
  }
  const windowHours = hours(`${field}.windowHours`, raw.windowHours, false, violations);
  const humanAgentWindowHours = hours(`${field}.humanAgentWindowHours`, raw.humanAgentWindowHours, false, violations);
  const mismatch = parsed && channel ? channelViolation(`${field}.channel`, parsed.spec, channel) : null;
  if (mismatch) violations.push(mismatch);
  const sendsPerSecond = sendRate(`${field}.sendsPerSecond`, raw.sendsPerSecond, false, violations);
  if (violations.length || !name || !senderAddress || !channel || !parsed) throw Errors.badInput(violations);
  return { name, channel, senderAddress, settings: parsed, windowHours, humanAgentWindowHours, sendsPerSecond };
}

/** `updateInbox(input)` / `inbox update` → a command. @throws AppError BAD_USER_INPUT */
export function parseUpdateInbox(field: string, value: unknown): UpdateInboxCommand {
  const violations: FieldViolation[] = [];
  const raw = asObject(field, value, violations) ?? {};
  if (typeof raw.inboxId !== 'string') throw Errors.field(`${field}.inboxId`, 'is required.');
  const command: UpdateInboxCommand = { inboxId: parseId(`${field}.inboxId`, raw.inboxId, 'inbox') };
  if (raw.name != null) command.name = text(`${field}.name`, raw.name, 100, violations);
  if (raw.senderAddress != null) command.senderAddress = text(`${field}.senderAddress`, raw.senderAddress, 255, violations);
  if (raw.settings != null) command.settings = settings(`${field}.settings`, raw.settings, violations);
  if (raw.windowHours !== undefined) command.windowHours = hours(`${field}.windowHours`, raw.windowHours, true, violations);
  if (raw.humanAgentWindowHours !== undefined)
    command.humanAgentWindowHours = hours(`${field}.humanAgentWindowHours`, raw.humanAgentWindowHours, true, violations);
  if (raw.sendsPerSecond !== undefined) command.sendsPerSecond = sendRate(`${field}.sendsPerSecond`, raw.sendsPerSecond, true, violations);
  if (violations.length) throw Errors.badInput(violations);
  return command;
}

/** The spec behind a settings member (exported for the CLI's help). */
export function providerOf(member: SettingsMember): string {
  return PROVIDER_SPECS[member].provider;
}
