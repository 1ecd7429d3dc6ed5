/**
 * `npm run token -- <command> [options]` — administer tenants, users and API tokens.
 *
 *   tenant:create --name "Acme"
 *   user:create   --tenant tn_… --name "Ann" --email ann@acme.test [--role owner|admin|agent] [--bot] [--inbox ibx_…]…
 *   token:create  --user usr_… [--scopes message:create,conversation:read,…] [--expires-in-days 30] [--name ci]
 *   token:revoke  --tenant tn_… --token tok_…
 *   list          [--tenant tn_…]
 *
 * Uses the same configuration as the server (DATABASE_URL, DATA_DIR). Token secrets are printed
 * once and stored only as hashes.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { initDatabase } from '../db/orm';
import { announceAccessChange } from '../modules/auth/access-changes';
import { ApiToken } from '../modules/auth/api-token.entity';
import { ALL_SCOPES, parseScopes } from '../modules/auth/scopes';
import { issueToken, revokeToken } from '../modules/auth/token.service';
import { InboxMember } from '../modules/inbox/inbox-member.entity';
import { Inbox } from '../modules/inbox/inbox.entity';
import { Tenant } from '../modules/tenant/tenant.entity';
import { UserRole } from '../modules/user/user-role';
import { RedisPubSub } from '../pubsub/redis-pubsub';
import { User } from '../modules/user/user.entity';

const USAGE = `usage: npm run token -- <tenant:create|user:create|token:create|token:revoke|list> [options]
  tenant:create --name NAME
  user:create   --tenant TENANT_ID --name NAME --email EMAIL [--role owner|admin|agent] [--bot] [--inbox INBOX_ID ...]
  token:create  --user USER_ID [--scopes a,b] [--expires-in-days N] [--name LABEL]
  token:revoke  --tenant TENANT_ID --token TOKEN_ID
  list          [--tenant TENANT_ID]`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string', default: UserRole.AGENT },
      bot: { type: 'boolean', default: false },
      inbox: { type: 'string', multiple: true },
      user: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in-days': { type: 'string' },
      token: { type: 'string' },
    },
    strict: true,
  });
  if (!command) fail('missing command');
  const config = loadConfig();
  const db = await initDatabase(config);
  const em = db.em.fork();
  try {
    switch (command) {
      case 'tenant:create': {
        if (!values.name) fail('--name is required');
        const tenant = em.create(Tenant, { name: values.name, eventSeq: 0, createdAt: new Date() });
        await em.flush();
        console.log(tenant.id);
        break;
      }
      case 'user:create': {
        if (!values.tenant || !values.name || !values.email) fail('--tenant, --name and --email are required');
        if (!Object.values(UserRole).includes(values.role as UserRole)) fail(`--role must be one of ${Object.values(UserRole).join(', ')}`);
        await em.findOneOrFail(Tenant, { id: values.tenant }, { failHandler: () => new Error(`No tenant ${values.tenant}`) });
        const user = em.create(User, {
          tenantId: values.tenant,
          name: values.name,
          email: values.email,
          role: values.role as UserRole,
          bot: values.bot ?? false,
          active: true,
          createdAt: new Date(),
        });
        for (const inboxId of values.inbox ?? []) {
          await em.findOneOrFail(
            Inbox,
            { id: inboxId, tenantId: values.tenant },
            { failHandler: () => new Error(`No inbox ${inboxId} in ${values.tenant}`) },
          );
          em.create(InboxMember, { tenantId: values.tenant, inboxId, userId: user.id, createdAt: new Date() });
        }
        await em.flush();
        console.log(user.id);
        break;
      }
      case 'token:create': {
        if (!values.user) fail('--user is required');
        const user = await em.findOne(User, { id: values.user });
        if (!user) fail(`No user ${values.user}`);
        const days = values['expires-in-days'] ? Number(values['expires-in-days']) : null;
        if (days !== null && !(days > 0)) fail('--expires-in-days must be a positive number');
        const { token, record } = await issueToken(em, {
          tenantId: user.tenantId,
          userId: user.id,
          name: values.name ?? 'cli',
          scopes: values.scopes ? parseScopes(values.scopes) : ALL_SCOPES,
          expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null,
        });
        console.log(
          `token id: ${record.id}\nscopes:   ${record.scopes.join(', ')}\nexpires:  ${record.expiresAt?.toISOString() ?? 'never'}\n\n${token}`,
        );
        break;
      }
      case 'token:revoke': {
        if (!values.tenant || !values.token) fail('--tenant and --token are required');
        const done = await revokeToken(em, values.tenant, values.token);
        console.log(done ? `revoked ${values.token}` : `no active token ${values.token} in ${values.tenant}`);
        if (!done) process.exitCode = 1;
        // Sockets holding the token close on every instance now rather than at their next poll.
        else if (config.redisUrl) {
          const pubsub = new RedisPubSub(config.redisUrl);
          await announceAccessChange(pubsub);
          await pubsub.close();
        }
        break;
      }
      case 'list': {
        const tenants = await em.find(Tenant, values.tenant ? { id: values.tenant } : {}, { orderBy: { createdAt: 'asc' } });
        for (const t of tenants) {
          console.log(`${t.id}  ${t.name}`);
          for (const u of await em.find(User, { tenantId: t.id }, { orderBy: { createdAt: 'asc' } })) {
            console.log(`  ${u.id}  ${u.role.padEnd(5)} ${u.bot ? 'bot ' : ''}${u.name} <${u.email}>${u.active ? '' : ' (inactive)'}`);
            for (const k of await em.find(ApiToken, { userId: u.id }, { orderBy: { createdAt: 'asc' } })) {
              const state = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt < new Date() ? 'expired' : 'active';
              console.log(`    ${k.id}  ${state.padEnd(7)} ${k.name}  [${k.scopes.join(' ')}]`);
            }
          }
        }
        break;
      }
      default:
        fail(`unknown command ${command}`);
    }
  } finally {
    await db.orm.close(true);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
