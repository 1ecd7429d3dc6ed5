/**
 * `npm run inbox -- <command> [options]` — manage inboxes: the same rules and events as the
 * GraphQL mutations (createInbox, updateInbox, …), through the same InboxService.
 *
 *   create         --tenant tn_… --name "Support" --channel whatsapp --sender +14155550100 --settings '{"whatsappCloud":{…}}'
 *   update         --tenant tn_… --inbox inb_… [--name …] [--sender …] [--settings JSON] [--window-hours N]
 *   archive        --tenant tn_… --inbox inb_…
 *   member:add     --tenant tn_… --inbox inb_… --user usr_…
 *   member:remove  --tenant tn_… --inbox inb_… --user usr_…
 *   test           --tenant tn_… --inbox inb_…        (exit 1 unless the provider accepts the credentials)
 *   list           [--tenant tn_…]                    (secrets shown as configured + hint, never their values)
 *   rotate-secrets                                    (re-encrypts every stored secret with SECRETS_KEY)
 *
 * Uses the same configuration as the server (DATABASE_URL, DATA_DIR, SECRETS_KEY, …). Changes are
 * appended to the event log; subscribers of a running server see them when they next resume.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AdapterRegistry } from '../channels/adapter-registry';
import { SandboxCarrier } from '../channels/sandbox/sandbox.carrier';
import { loadConfig } from '../config';
import { initDatabase } from '../db/orm';
import { AppError } from '../lib/errors';
import { parseId } from '../lib/parse-id';
import { loadSecretKeyring } from '../lib/secret-key-file';
import { parseCreateInbox, parseUpdateInbox } from '../modules/inbox/inbox.commands';
import { Inbox } from '../modules/inbox/inbox.entity';
import { InboxMember } from '../modules/inbox/inbox-member.entity';
import {
  addInboxMember,
  archiveInbox,
  createInbox,
  removeInboxMember,
  rotateSecrets,
  secretStatuses,
  testInboxConnection,
  updateInbox,
  type InboxActor,
} from '../modules/inbox/inbox.service';
import { SenderType } from '../modules/message/sender-type';
import { Tenant } from '../modules/tenant/tenant.entity';

const USAGE = `usage: npm run inbox -- <create|update|archive|member:add|member:remove|test|list|rotate-secrets> [options]
  create         --tenant TENANT_ID --name NAME --channel CHANNEL --sender ADDRESS --settings JSON [--window-hours N]
  update         --tenant TENANT_ID --inbox INBOX_ID [--name NAME] [--sender ADDRESS] [--settings JSON] [--window-hours N]
  archive        --tenant TENANT_ID --inbox INBOX_ID
  member:add     --tenant TENANT_ID --inbox INBOX_ID --user USER_ID
  member:remove  --tenant TENANT_ID --inbox INBOX_ID --user USER_ID
  test           --tenant TENANT_ID --inbox INBOX_ID
  list           [--tenant TENANT_ID]
  rotate-secrets
--settings is one provider member as JSON, e.g. '{"sandbox":{"latencyMs":300}}' or
'{"whatsappCloud":{"phoneNumberId":"…","accessToken":"…","appSecret":"…","verifyToken":"…"}}'.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function json(option: string, raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return fail(`${option} must be JSON`);
  }
}

function hoursOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : fail('--window-hours must be a number');
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      tenant: { type: 'string' },
      inbox: { type: 'string' },
      user: { type: 'string' },
      name: { type: 'string' },
      channel: { type: 'string' },
      sender: { type: 'string' },
      settings: { type: 'string' },
      'window-hours': { type: 'string' },
    },
    strict: true,
  });
  if (!command) fail('missing command');
  const config = loadConfig();
  const keyring = loadSecretKeyring(config.secrets, config.dataDir);
  const db = await initDatabase(config);
  const em = db.em.fork();
  const deps = { pubsub: null, keyring };
  const actor = async (): Promise<InboxActor> => {
    if (!values.tenant) fail('--tenant is required');
    await em.findOneOrFail(Tenant, { id: values.tenant }, { failHandler: () => new Error(`No tenant ${values.tenant}`) });
    return { tenantId: values.tenant, type: SenderType.SYSTEM, id: null };
  };
  const inboxId = () => (values.inbox ? parseId('--inbox', values.inbox, 'inbox') : fail('--inbox is required'));
  const userId = () => (values.user ? parseId('--user', values.user, 'user') : fail('--user is required'));
  try {
    switch (command) {
      case 'create': {
        const cmd = parseCreateInbox('create', {
          name: values.name,
          channel: values.channel?.toLowerCase(),
          senderAddress: values.sender,
          settings: json('--settings', values.settings),
          windowHours: hoursOption(values['window-hours']),
        });
        const { inbox } = await createInbox(em, deps, await actor(), cmd);
        console.log(inbox.id);
        break;
      }
      case 'update': {
        const cmd = parseUpdateInbox('update', {
          inboxId: values.inbox,
          name: values.name,
          senderAddress: values.sender,
          settings: json('--settings', values.settings),
          windowHours: hoursOption(values['window-hours']),
        });
        const { events } = await updateInbox(em, deps, await actor(), cmd);
        console.log(
          events.length ? `updated ${cmd.inboxId}: ${String((events[0].payload.changedFields as string[]).join(', '))}` : 'nothing changed',
        );
        break;
      }
      case 'archive': {
        const { events } = await archiveInbox(em, deps, await actor(), inboxId());
        console.log(events.length ? `archived ${values.inbox}` : `${values.inbox} was already archived`);
        break;
      }
      case 'member:add':
      case 'member:remove': {
        const change = command === 'member:add' ? addInboxMember : removeInboxMember;
        const { events } = await change(em, deps, await actor(), inboxId(), userId());
        console.log(events.length ? `${command === 'member:add' ? 'added' : 'removed'} ${values.user}` : 'nothing changed');
        break;
      }
      case 'test': {
        const { tenantId } = await actor();
        const inbox = await em.findOne(Inbox, { id: inboxId(), tenantId });
        if (!inbox) fail(`No inbox ${values.inbox} in ${tenantId}`);
        const sandbox = new SandboxCarrier();
        try {
          const channels = new AdapterRegistry({
            webhookUrl: (id) => `${config.delivery.publicUrl ?? `http://${config.host}:${config.port}`}/webhooks/${id}`,
            sandbox,
            sandboxSecret: config.delivery.sandboxSecret,
            fetch,
            secrets: keyring,
          });
          const result = await testInboxConnection(channels, inbox);
          console.log(`${result.status.toUpperCase()}: ${result.message}`);
          if (result.status !== 'ok') process.exitCode = 1;
        } finally {
          sandbox.close();
        }
        break;
      }
      case 'list': {
        const inboxes = await em.find(Inbox, values.tenant ? { tenantId: values.tenant } : {}, { orderBy: { tenantId: 'asc', id: 'asc' } });
        for (const i of inboxes) {
          const members = await em.count(InboxMember, { inboxId: i.id });
          const secrets = secretStatuses(i)
            .map((s) => `${s.name}=${s.configured ? (s.hint ?? 'set') : 'missing'}`)
            .join(' ');
          console.log(
            `${i.tenantId}  ${i.id}  ${i.channel.padEnd(9)} ${i.provider.padEnd(14)} ${i.name}${i.archivedAt ? ' (archived)' : ''}  members=${members}${secrets ? `  ${secrets}` : ''}`,
          );
        }
        break;
      }
      case 'rotate-secrets': {
        const report = await rotateSecrets(db.em, keyring);
        console.log(
          `key ${keyring.current.id}: re-encrypted ${report.resealed} secret(s), encrypted ${report.sealedLegacy} plaintext secret(s), in ${report.inboxes} inbox(es)`,
        );
        break;
      }
      default:
        fail(`unknown command ${command}`);
    }
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const fields = (err.details.fields as { field: string; message: string }[] | undefined) ?? [];
    console.error(`${err.code}: ${fields.length ? fields.map((f) => `${f.field} ${f.message}`).join('\n') : err.message}`);
    process.exitCode = 2;
  } finally {
    await db.orm.close(true);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
