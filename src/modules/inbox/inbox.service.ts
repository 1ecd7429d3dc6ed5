import type { EntityManager } from '@mikro-orm/core';
import { secretContext, type AdapterRegistry } from '../../channels/adapter-registry';
import type { ChannelAdapter, ConnectionTestResult } from '../../channels/channel-adapter';
import { Errors } from '../../lib/errors';
import { isSealed, revealSecret, sealedWith, sealSecret, secretHint, type SecretKeyring } from '../../lib/secrets';
import type { PubSub } from '../../pubsub/pubsub';
import { lockedRead } from '../delivery/delivery.locks';
import type { DomainEvent } from '../event/event.entity';
import { EventType } from '../event/event-type';
import { publishEvents } from '../event/event.publisher';
import { appendEvent } from '../event/event.service';
import { SenderType } from '../message/sender-type';
import { User } from '../user/user.entity';
import { channelViolation, type CreateInboxCommand, type UpdateInboxCommand } from './inbox.commands';
import { inboxArchived } from './inbox-archive';
import { Inbox, type StoredSecret } from './inbox.entity';
import { InboxMember } from './inbox-member.entity';
import { missingSecrets, secretNames, specOfProvider, type ParsedProviderSettings } from './provider-settings';

/** What inbox management needs besides the EntityManager. */
export interface InboxServiceDeps {
  /** Where committed events are published; null (the CLI, another process) leaves them to the log. */
  pubsub: PubSub | null;
  /** Seals provider secrets before they are stored. */
  keyring: SecretKeyring;
  /** Adapters, to register an inbox with its provider after a change ({@link connectInbox}); absent: not registered (the CLI). */
  channels?: AdapterRegistry;
}

/** Who makes a change: a teammate, or the system (the CLI). */
export interface InboxActor {
  tenantId: string;
  type: SenderType;
  id: string | null;
}

/** A committed inbox change: the inbox as committed and the events it appended (empty for a no-op). */
export interface InboxChangeResult {
  inbox: Inbox;
  events: DomainEvent[];
  /** What registering the inbox with its provider came to, when the change called for it (see {@link connectInbox}). */
  connection?: ConnectionTestResult | null;
}

/** One secret of an inbox's provider, as admins may see it. */
export interface SecretStatus {
  name: string;
  configured: boolean;
  hint: string | null;
}

async function published(deps: InboxServiceDeps, result: InboxChangeResult): Promise<InboxChangeResult> {
  if (deps.pubsub) await publishEvents(deps.pubsub, result.events);
  return result;
}

function event(tx: EntityManager, actor: InboxActor, type: EventType, inbox: Inbox, payload: Record<string, unknown>) {
  return appendEvent(tx, { tenantId: actor.tenantId, type, inboxId: inbox.id, actorType: actor.type, actorId: actor.id, payload });
}

/** The inbox of the tenant, re-read (and on PostgreSQL locked) inside the transaction, or NOT_FOUND. */
async function lockInbox(tx: EntityManager, tenantId: string, inboxId: string): Promise<Inbox> {
  const inbox = await tx.findOne(Inbox, { id: inboxId, tenantId }, lockedRead<Inbox>(tx));
  if (!inbox) throw Errors.notFound('Inbox', inboxId);
  return inbox;
}

function refuseArchived(inbox: Inbox): void {
  if (inbox.archivedAt) throw inboxArchived(inbox, 'cannot be changed');
}

/**
 * Runs a change of an existing inbox in one transaction, the inbox re-read (and locked) first, and
 * publishes the events the change appended once it has committed. `change` returns no events for a no-op.
 */
async function changeInbox(
  em: EntityManager,
  deps: InboxServiceDeps,
  actor: InboxActor,
  inboxId: string,
  change: (tx: EntityManager, inbox: Inbox) => Promise<DomainEvent[]>,
): Promise<InboxChangeResult> {
  const result = await em.transactional(async (tx) => {
    const inbox = await lockInbox(tx, actor.tenantId, inboxId);
    return { inbox, events: await change(tx, inbox) };
  });
  return published(deps, result);
}

/** Seals a secret for this inbox and field, keeping a hint of it. */
function seal(keyring: SecretKeyring, inboxId: string, name: string, plaintext: string): StoredSecret {
  return { sealed: sealSecret(keyring, plaintext, secretContext(inboxId, name)), hint: secretHint(plaintext) };
}

/**
 * The secrets an inbox keeps after `settings` is applied: given ones sealed, '' removes, the rest
 * kept from what is stored (sealed as is; a legacy plaintext value in providerConfig is sealed now).
 * Switching provider keeps none of the old provider's.
 */
function nextSecrets(keyring: SecretKeyring, inbox: Inbox, settings: ParsedProviderSettings): Record<string, StoredSecret> {
  const sameProvider = inbox.provider === settings.spec.provider;
  const next: Record<string, StoredSecret> = {};
  for (const name of secretNames(settings.spec)) {
    const given = settings.secrets[name];
    if (given !== undefined) {
      if (given !== '') next[name] = seal(keyring, inbox.id, name, given);
      continue;
    }
    if (!sameProvider) continue;
    const stored = inbox.providerSecrets[name];
    const legacy = inbox.providerConfig[name];
    if (stored) next[name] = stored;
    else if (typeof legacy === 'string' && legacy !== '') next[name] = seal(keyring, inbox.id, name, legacy);
  }
  return next;
}

/** Names of the secrets an inbox has now, sealed or (legacy) in plain text. */
function storedSecretNames(inbox: Inbox): Set<string> {
  const spec = specOfProvider(inbox.provider);
  const names = new Set(Object.keys(inbox.providerSecrets));
  for (const name of spec ? secretNames(spec) : [])
    if (typeof inbox.providerConfig[name] === 'string' && inbox.providerConfig[name]) names.add(name);
  return names;
}

/** Creates an inbox with its provider settings (secrets sealed) and appends INBOX_CREATED. */
export async function createInbox(
  em: EntityManager,
  deps: InboxServiceDeps,
  actor: InboxActor,
  cmd: CreateInboxCommand,
): Promise<InboxChangeResult> {
  const result = await em.transactional(async (tx) => {
    const inbox = tx.create(Inbox, {
      tenantId: actor.tenantId,
      name: cmd.name,
      channel: cmd.channel,
      provider: cmd.settings.spec.provider,
      senderAddress: cmd.senderAddress,
      windowHours: cmd.windowHours,
      humanAgentWindowHours: cmd.humanAgentWindowHours,
      sendsPerSecond: cmd.sendsPerSecond,
      providerConfig: cmd.settings.config,
      providerSecrets: {},
      archivedAt: null,
      createdAt: new Date(),
    });
    inbox.providerSecrets = nextSecrets(deps.keyring, inbox, cmd.settings);
    const events = [
      await event(tx, actor, EventType.INBOX_CREATED, inbox, { name: inbox.name, channel: inbox.channel, provider: inbox.provider }),
    ];
    return { inbox, events };
  });
  return connected(deps, await published(deps, result));
}

/** Applies an update; nothing changes (and no event) when every given value is already in place. */
export async function updateInbox(
  em: EntityManager,
  deps: InboxServiceDeps,
  actor: InboxActor,
  cmd: UpdateInboxCommand,
): Promise<InboxChangeResult> {
  const result = await changeInbox(em, deps, actor, cmd.inboxId, async (tx, inbox) => {
    refuseArchived(inbox);
    const changed: string[] = [];
    const assign = <K extends 'name' | 'senderAddress' | 'windowHours' | 'humanAgentWindowHours' | 'sendsPerSecond'>(
      key: K,
      value: Inbox[K] | undefined,
    ) => {
      if (value === undefined || inbox[key] === value) return;
      inbox[key] = value;
      changed.push(key);
    };
    if (cmd.settings) {
      const settings = cmd.settings;
      const violations = [
        ...missingSecrets(settings, inbox.provider === settings.spec.provider ? storedSecretNames(inbox) : new Set()),
        ...[channelViolation(settings.field, settings.spec, inbox.channel)].filter((v) => v !== null),
      ];
      if (violations.length) throw Errors.badInput(violations);
      if (inbox.provider !== settings.spec.provider) changed.push('provider');
      const keys = new Set([...Object.keys(inbox.providerConfig), ...Object.keys(settings.config)]);
      for (const key of keys) {
        if (secretNames(settings.spec).includes(key)) continue;
        if (JSON.stringify(inbox.providerConfig[key]) !== JSON.stringify(settings.config[key])) changed.push(`settings.${key}`);
      }
      // A secret given is a change (its value cannot be compared without opening the old one); removing one that was set too.
      const had = storedSecretNames(inbox);
      for (const [name, value] of Object.entries(settings.secrets)) if (value !== '' || had.has(name)) changed.push(`settings.${name}`);
      inbox.providerSecrets = nextSecrets(deps.keyring, inbox, settings);
      inbox.provider = settings.spec.provider;
      inbox.providerConfig = settings.config;
    }
    assign('name', cmd.name);
    assign('senderAddress', cmd.senderAddress);
    assign('windowHours', cmd.windowHours);
    assign('humanAgentWindowHours', cmd.humanAgentWindowHours);
    assign('sendsPerSecond', cmd.sendsPerSecond);
    if (changed.length === 0) return [];
    return [await event(tx, actor, EventType.INBOX_UPDATED, inbox, { changedFields: changed })];
  });
  const settingsChanged = result.events.some((e) =>
    ((e.payload as { changedFields?: string[] }).changedFields ?? []).some((f) => f === 'provider' || f.startsWith('settings.')),
  );
  return settingsChanged ? connected(deps, result) : result;
}

/** Registers a freshly committed inbox with its provider, when the deps allow it, onto the result. */
async function connected(deps: InboxServiceDeps, result: InboxChangeResult): Promise<InboxChangeResult> {
  if (!deps.channels) return result;
  return { ...result, connection: await connectInbox(deps.channels, result.inbox) };
}

/**
 * Archives an inbox: from now on nothing new is sent from it (sendMessage is refused with
 * INBOX_ARCHIVED, the worker fails what is still pending with `inbox_archived`). Its history stays
 * readable and customer messages still arrive. Archiving twice changes nothing.
 */
export async function archiveInbox(
  em: EntityManager,
  deps: InboxServiceDeps,
  actor: InboxActor,
  inboxId: string,
): Promise<InboxChangeResult> {
  return changeInbox(em, deps, actor, inboxId, async (tx, inbox) => {
    if (inbox.archivedAt) return [];
    inbox.archivedAt = new Date();
    return [await event(tx, actor, EventType.INBOX_ARCHIVED, inbox, { archivedAt: inbox.archivedAt.toISOString() })];
  });
}

/** A user of the tenant, or NOT_FOUND. */
async function teammate(tx: EntityManager, tenantId: string, userId: string): Promise<User> {
  const user = await tx.findOne(User, { id: userId, tenantId });
  if (!user) throw Errors.notFound('User', userId);
  return user;
}

/** Makes a teammate a member (they see the inbox's conversations from the next event or request on). No-op when already one. */
export async function addInboxMember(
  em: EntityManager,
  deps: InboxServiceDeps,
  actor: InboxActor,
  inboxId: string,
  userId: string,
): Promise<InboxChangeResult> {
  return changeInbox(em, deps, actor, inboxId, async (tx, inbox) => {
    refuseArchived(inbox);
    const user = await teammate(tx, actor.tenantId, userId);
    if (!user.active) throw Errors.field('userId', 'is deactivated: reactivate the user first.');
    if ((await tx.count(InboxMember, { tenantId: actor.tenantId, inboxId, userId })) > 0) return [];
    tx.create(InboxMember, { tenantId: actor.tenantId, inboxId, userId, createdAt: new Date() });
    return [await event(tx, actor, EventType.INBOX_MEMBER_ADDED, inbox, { memberId: userId })];
  });
}

/**
 * Removes a membership: the agent stops seeing the inbox on their next request, and their open
 * subscriptions (re-authorised per event) stop receiving its events. No-op when not a member.
 */
export async function removeInboxMember(
  em: EntityManager,
  deps: InboxServiceDeps,
  actor: InboxActor,
  inboxId: string,
  userId: string,
): Promise<InboxChangeResult> {
  return changeInbox(em, deps, actor, inboxId, async (tx, inbox) => {
    await teammate(tx, actor.tenantId, userId);
    const removed = await tx.nativeDelete(InboxMember, { tenantId: actor.tenantId, inboxId, userId });
    if (removed === 0) return [];
    return [await event(tx, actor, EventType.INBOX_MEMBER_REMOVED, inbox, { memberId: userId })];
  });
}

/** How long a connection test may wait for the provider. */
export const CONNECTION_TEST_TIMEOUT_MS = 10_000;

/** The inbox's adapter, or, when its settings cannot build one, the connection result that says so. */
function adapterOrRefusal(channels: AdapterRegistry, inbox: Inbox): ChannelAdapter | ConnectionTestResult {
  try {
    return channels.forInbox(inbox);
  } catch (err) {
    return {
      status: 'bad_credentials',
      message: `The inbox's settings cannot be used: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/** Runs one provider call under `timeoutMs`; an `unreachable` that the timeout caused says so. */
async function withinTimeout(
  timeoutMs: number,
  call: (signal: AbortSignal) => Promise<ConnectionTestResult>,
): Promise<ConnectionTestResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  const result = await call(signal);
  return signal.aborted && result.status === 'unreachable'
    ? { status: 'unreachable', message: `The provider did not answer within ${timeoutMs / 1000} s.` }
    : result;
}

/** Asks the inbox's provider whether its credentials and ids work (one cheap authenticated call, nothing sent). */
export async function testInboxConnection(
  channels: AdapterRegistry,
  inbox: Inbox,
  timeoutMs = CONNECTION_TEST_TIMEOUT_MS,
): Promise<ConnectionTestResult> {
  const adapter = adapterOrRefusal(channels, inbox);
  if (!('provider' in adapter)) return adapter;
  if (!adapter.testConnection) return { status: 'unreachable', message: `The ${inbox.provider} provider has no connection test.` };
  return withinTimeout(timeoutMs, (signal) => adapter.testConnection!(signal));
}

/**
 * Registers the inbox with its provider (the adapter's `connect`, e.g. Telegram `setWebhook`), after
 * the settings were committed: a provider that is down must not undo the change, so the outcome is
 * reported (like a connection test) rather than thrown, and saving the settings again retries it.
 * Null when the provider needs no registration.
 */
export async function connectInbox(
  channels: AdapterRegistry,
  inbox: Inbox,
  timeoutMs = CONNECTION_TEST_TIMEOUT_MS,
): Promise<ConnectionTestResult | null> {
  const adapter = adapterOrRefusal(channels, inbox);
  if (!('provider' in adapter)) return adapter;
  if (!adapter.connect) return null;
  return withinTimeout(timeoutMs, (signal) => adapter.connect!(signal));
}

/** The inbox's provider secrets as admins see them: configured or not, with a hint; never the value. */
export function secretStatuses(inbox: Pick<Inbox, 'provider' | 'providerConfig' | 'providerSecrets'>): SecretStatus[] {
  const spec = specOfProvider(inbox.provider);
  return (spec ? secretNames(spec) : Object.keys(inbox.providerSecrets)).map((name) => {
    const stored = inbox.providerSecrets[name];
    const legacy = inbox.providerConfig[name];
    if (stored) return { name, configured: true, hint: stored.hint };
    if (typeof legacy === 'string' && legacy !== '') return { name, configured: true, hint: secretHint(legacy) };
    return { name, configured: false, hint: null };
  });
}

/** What a re-encryption pass did. */
export interface RotationReport {
  inboxes: number;
  /** Sealed values re-sealed with the current key. */
  resealed: number;
  /** Legacy plaintext secrets moved out of providerConfig and sealed. */
  sealedLegacy: number;
}

/**
 * Re-seals every stored secret with the current key (values sealed with a previous key are
 * opened with it) and seals legacy plaintext secrets. Each inbox in its own short transaction; safe
 * to run again (values already under the current key are left alone). Once it reports 0 left
 * under an old key, that key can be dropped from SECRETS_KEY_PREVIOUS.
 */
export async function rotateSecrets(em: EntityManager, keyring: SecretKeyring): Promise<RotationReport> {
  const report: RotationReport = { inboxes: 0, resealed: 0, sealedLegacy: 0 };
  const ids = (await em.fork().find(Inbox, {}, { fields: ['id'], orderBy: { id: 'asc' } })).map((i) => i.id);
  for (const id of ids) {
    await em.fork().transactional(async (tx) => {
      const inbox = await tx.findOneOrFail(Inbox, { id }, lockedRead<Inbox>(tx));
      const spec = specOfProvider(inbox.provider);
      const secrets = { ...inbox.providerSecrets };
      const config = { ...inbox.providerConfig };
      let touched = false;
      for (const [name, stored] of Object.entries(secrets)) {
        if (sealedWith(stored.sealed) === keyring.current.id) continue;
        const plain = revealSecret(keyring, stored.sealed, secretContext(id, name));
        secrets[name] = seal(keyring, id, name, plain);
        report.resealed++;
        touched = true;
      }
      for (const name of spec ? secretNames(spec) : []) {
        const legacy = config[name];
        if (typeof legacy !== 'string' || legacy === '' || isSealed(legacy)) continue;
        if (!secrets[name]) secrets[name] = seal(keyring, id, name, legacy);
        delete config[name];
        report.sealedLegacy++;
        touched = true;
      }
      if (!touched) return;
      inbox.providerSecrets = secrets;
      inbox.providerConfig = config;
      report.inboxes++;
    });
  }
  return report;
}
