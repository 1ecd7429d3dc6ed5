import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { ChannelKind as EntityChannelKind } from '../src/modules/channel/channel-kind';
import { DomainEvent } from '../src/modules/event/event.entity';
import { InboxMember } from '../src/modules/inbox/inbox-member.entity';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';
import { Message } from '../src/modules/message/message.entity';
import { rotateSecrets } from '../src/modules/inbox/inbox.service';
import {
  AdminAddInboxMemberDocument,
  AdminArchiveInboxDocument,
  AdminCreateInboxDocument,
  AdminInboxEventsDocument,
  AdminInboxesDocument,
  AdminRemoveInboxMemberDocument,
  AdminSendTextDocument,
  AdminTestInboxConnectionDocument,
  AdminUpdateInboxDocument,
  AdminVisibleInboxesDocument,
  SimulateInboundDocument,
  type CreateInboxInput,
} from './generated/graphql';
import { errorCode } from './helpers/client';
import { testDeliveryConfig, waitForMessage } from './helpers/delivery';
import { FakeMeta } from './helpers/fake-meta';
import { startTestServer, type TestServer } from './helpers/server';
import { SubscriptionCollector, TrackingPubSub, wsClient } from './helpers/subscriptions';
import { Topics } from '../src/pubsub/pubsub';

const ROOT = path.resolve(__dirname, '..');
const PHONE_NUMBER_ID = '106540352242922';
// Long and distinctive, so a leak anywhere is found by a plain substring search.
const ACCESS_TOKEN = 'EAAGm0PZBtestAccessTokenZZtop9f3c';
const APP_SECRET = 'meta-app-secret-5be1c0ffee77';
const VERIFY_TOKEN = 'verify-me-please-4242';
const SECRETS = [ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN];

const noFaults = { serverErrorRate: 0, lateAcceptRate: 0, lateAnswerMs: 0, silentRate: 0 };

function whatsappInput(baseUrl: string, overrides: Partial<CreateInboxInput> = {}): CreateInboxInput {
  return {
    name: 'WhatsApp (Cloud API)',
    channel: 'WHATSAPP',
    senderAddress: '+14155550111',
    settings: {
      whatsappCloud: {
        phoneNumberId: PHONE_NUMBER_ID,
        accessToken: ACCESS_TOKEN,
        appSecret: APP_SECRET,
        verifyToken: VERIFY_TOKEN,
        baseUrl,
      },
    },
    ...overrides,
  };
}

/** Everything that says how many inboxes and events there are, to prove a refusal wrote nothing. */
async function footprint(s: TestServer): Promise<{ inboxes: number; events: number; members: number }> {
  const em = s.db.em.fork();
  return {
    inboxes: await em.count(Inbox, {}),
    events: await em.count(DomainEvent, {}),
    members: await em.count(InboxMember, {}),
  };
}

function assertNoSecrets(where: string, value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 6)}…)`);
}

/** Meta's Graph API for the test's phone number, answering every request without faults. */
function fakeMeta(): FakeMeta {
  return new FakeMeta({
    phoneNumberId: PHONE_NUMBER_ID,
    accessToken: ACCESS_TOKEN,
    appSecret: APP_SECRET,
    faults: noFaults,
    random: () => 0.5,
  });
}

describe('inbox management over GraphQL', () => {
  const meta = fakeMeta();
  const pubsub = new TrackingPubSub();
  let s: TestServer;

  before(async () => {
    await meta.start();
    s = await startTestServer({ pubsub, config: { delivery: testDeliveryConfig() } });
    meta.webhookUrl = null;
  });
  after(async () => {
    await s?.close();
    await meta.close();
  });

  test('an admin creates a WhatsApp Cloud inbox: secrets are stored encrypted and never come back, in the answer or the event', async (t) => {
    const admin = s.client(s.tokens.admin);
    const events = await subscribeInboxEvents(s, pubsub, s.tokens.owner, t);

    const res = await admin.request(AdminCreateInboxDocument, { input: whatsappInput(meta.url) });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assertNoSecrets('the createInbox response', res);
    const inbox = res.data!.createInbox.inbox;
    assert.equal(inbox.provider, 'whatsapp_cloud');
    assert.equal(inbox.webhookUrl, `${s.httpUrl}/webhooks/${inbox.id}`);
    assert.ok(
      inbox.setupSteps!.some((step) => step.includes(inbox.webhookUrl!)),
      'the steps say where to point the webhook',
    );
    assert.deepEqual(inbox.secrets, [
      { name: 'accessToken', configured: true, hint: `…${ACCESS_TOKEN.slice(-4)}` },
      { name: 'appSecret', configured: true, hint: `…${APP_SECRET.slice(-4)}` },
      { name: 'verifyToken', configured: true, hint: `…${VERIFY_TOKEN.slice(-4)}` },
    ]);

    const created = await events.waitFor((r) => r.data?.inboxEvents.__typename === 'InboxUpdatedEvent');
    assert.equal(created.data!.inboxEvents.type, 'INBOX_CREATED');
    assertNoSecrets('the subscription event', created);
    const stored = await s.db.em.fork().find(DomainEvent, { inboxId: inbox.id });
    assert.equal(stored.length, 1);
    assertNoSecrets('the event log row', stored);

    // The columns themselves: no plaintext at rest, only envelopes.
    const rows: { provider_config: unknown; provider_secrets: unknown }[] = await (s.db.em.fork() as SqlEntityManager).execute(
      'select provider_config, provider_secrets from inbox where id = ?',
      [inbox.id],
    );
    assertNoSecrets('the inbox row', rows);
    assert.match(JSON.stringify(rows[0].provider_secrets), /sbenc:v1:/);

    // The whole list, as an admin reads it back.
    assertNoSecrets('the inboxes query', await admin.request(AdminInboxesDocument, {}));

    // The adapter gets the opened token: the connection test reaches the fake with it.
    const ok = await admin.data(AdminTestInboxConnectionDocument, { inboxId: inbox.id });
    assert.equal(ok.testInboxConnection.status, 'OK', ok.testInboxConnection.message);
    assert.equal(meta.lookups.at(-1)!.authorization, `Bearer ${ACCESS_TOKEN}`);
  });

  test('testInboxConnection reports bad credentials, an unknown phone number id and an unreachable provider', async () => {
    const admin = s.client(s.tokens.admin);
    const create = async (input: CreateInboxInput) => (await admin.data(AdminCreateInboxDocument, { input })).createInbox.inbox.id;
    const badToken = await create(
      whatsappInput(meta.url, {
        settings: {
          whatsappCloud: {
            phoneNumberId: PHONE_NUMBER_ID,
            accessToken: 'EAAG-expired-token-0000',
            appSecret: APP_SECRET,
            baseUrl: meta.url,
          },
        },
      }),
    );
    const result = (await admin.data(AdminTestInboxConnectionDocument, { inboxId: badToken })).testInboxConnection;
    assert.equal(result.status, 'BAD_CREDENTIALS');
    assert.match(result.message, /Invalid OAuth access token/);

    const unknownId = await create(
      whatsappInput(meta.url, {
        settings: { whatsappCloud: { phoneNumberId: '999999999', accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, baseUrl: meta.url } },
      }),
    );
    assert.equal((await admin.data(AdminTestInboxConnectionDocument, { inboxId: unknownId })).testInboxConnection.status, 'NOT_FOUND');

    const closed = await create(
      whatsappInput(meta.url, {
        settings: {
          whatsappCloud: {
            phoneNumberId: PHONE_NUMBER_ID,
            accessToken: ACCESS_TOKEN,
            appSecret: APP_SECRET,
            baseUrl: 'http://127.0.0.1:9/v21.0',
          },
        },
      }),
    );
    assert.equal((await admin.data(AdminTestInboxConnectionDocument, { inboxId: closed })).testInboxConnection.status, 'UNREACHABLE');

    const sandbox = (
      await admin.data(AdminCreateInboxDocument, {
        input: { name: 'Sandbox SMS', channel: 'SMS', senderAddress: '+14155550123', settings: { sandbox: { latencyMs: 0 } } },
      })
    ).createInbox.inbox;
    assert.equal(sandbox.provider, 'sandbox');
    assert.deepEqual(sandbox.secrets, []);
    assert.equal((await admin.data(AdminTestInboxConnectionDocument, { inboxId: sandbox.id })).testInboxConnection.status, 'OK');
  });

  test('an agent is FORBIDDEN, even with the scope on their token, and sees no webhook URL or setup steps', async () => {
    const before = await footprint(s);
    const agent = s.client(s.tokens.agent);
    const res = await agent.request(AdminCreateInboxDocument, { input: whatsappInput(meta.url) });
    assert.equal(errorCode(res), 'FORBIDDEN');
    assert.deepEqual(await footprint(s), before);
    const scoped = s.client(await s.token('agent', ['conversation:list' as never]));
    assert.equal(errorCode(await scoped.request(AdminArchiveInboxDocument, { inboxId: s.demo.whatsapp.id })), 'FORBIDDEN');

    const list = await agent.request(AdminInboxesDocument, {});
    assert.equal(list.data!.inboxes.nodes.length, 1);
    assert.equal(list.data!.inboxes.nodes[0].webhookUrl, null);
    assert.equal(list.data!.inboxes.nodes[0].setupSteps, null);
    assert.ok(list.errors?.every((e) => e.extensions?.code === 'FORBIDDEN'));
  });

  test('bad settings are BAD_USER_INPUT naming the field, and write nothing', async () => {
    const admin = s.client(s.tokens.admin);
    const before = await footprint(s);
    const cases: [string, CreateInboxInput, string][] = [
      [
        'missing token',
        whatsappInput(meta.url, { settings: { whatsappCloud: { phoneNumberId: PHONE_NUMBER_ID, appSecret: APP_SECRET } } }),
        'input.settings.whatsappCloud.accessToken',
      ],
      [
        'letters in the phone number id',
        whatsappInput(meta.url, {
          settings: { whatsappCloud: { phoneNumberId: 'abc', accessToken: ACCESS_TOKEN, appSecret: APP_SECRET } },
        }),
        'input.settings.whatsappCloud.phoneNumberId',
      ],
      ['WhatsApp Cloud on an SMS inbox', whatsappInput(meta.url, { channel: 'SMS' }), 'input.channel'],
      [
        'a negative latency',
        { name: 'x', channel: 'SMS', senderAddress: '+1', settings: { sandbox: { latencyMs: -5 } } },
        'input.settings.sandbox.latencyMs',
      ],
      ['an empty name', whatsappInput(meta.url, { name: '  ' }), 'input.name'],
      [
        'a base URL that is not one',
        whatsappInput(meta.url, {
          settings: {
            whatsappCloud: { phoneNumberId: PHONE_NUMBER_ID, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, baseUrl: 'graph' },
          },
        }),
        'input.settings.whatsappCloud.baseUrl',
      ],
    ];
    for (const [what, input, field] of cases) {
      const res = await admin.request(AdminCreateInboxDocument, { input });
      assert.equal(errorCode(res), 'BAD_USER_INPUT', what);
      const fields = (res.errors![0].extensions!.fields as { field: string }[]).map((f) => f.field);
      assert.ok(fields.includes(field), `${what}: ${JSON.stringify(fields)}`);
      assertNoSecrets(`the refusal (${what})`, res);
    }
    // Two providers at once: refused by @oneOf before any resolver runs.
    const both = await admin.request(AdminCreateInboxDocument, {
      input: {
        ...whatsappInput(meta.url),
        settings: { sandbox: {}, whatsappCloud: whatsappInput(meta.url).settings.whatsappCloud },
      } as never,
    });
    assert.equal(errorCode(both), 'BAD_USER_INPUT');
    assertNoSecrets('the @oneOf refusal', both);
    assert.match(JSON.stringify(both.errors![0].extensions), /settings/);
    assert.deepEqual(await footprint(s), before);
  });

  test('updating keeps secrets left out, replaces given ones, and records which fields changed (by name only)', async () => {
    const admin = s.client(s.tokens.admin);
    const { id } = (await admin.data(AdminCreateInboxDocument, { input: whatsappInput(meta.url) })).createInbox.inbox;
    const renamed = await admin.data(AdminUpdateInboxDocument, {
      input: {
        inboxId: id,
        name: 'WA EU',
        settings: { whatsappCloud: { phoneNumberId: PHONE_NUMBER_ID, baseUrl: meta.url, accessToken: 'EAAG-rotated-token-1234567' } },
      },
    });
    const inbox = renamed.updateInbox.inbox;
    assert.equal(inbox.name, 'WA EU');
    assert.deepEqual(
      inbox.secrets!.map((x) => [x.name, x.configured, x.hint]),
      [
        ['accessToken', true, '…4567'],
        ['appSecret', true, `…${APP_SECRET.slice(-4)}`],
        ['verifyToken', true, `…${VERIFY_TOKEN.slice(-4)}`],
      ],
      'appSecret and verifyToken were left out: kept as stored',
    );
    const [updated] = await s.db.em.fork().find(DomainEvent, { inboxId: id, type: 'inbox.updated' as never });
    assert.deepEqual((updated.payload.changedFields as string[]).sort(), ['name', 'settings.accessToken'].sort());
    assertNoSecrets('the update event', updated);
    const noop = await admin.data(AdminUpdateInboxDocument, { input: { inboxId: id, name: 'WA EU' } });
    assert.equal(noop.updateInbox.inbox.name, 'WA EU');
    assert.equal(await s.db.em.fork().count(DomainEvent, { inboxId: id }), 2, 'a change to nothing appends nothing');
  });
});

/** Opens `inboxEvents` for `token` and resolves once the server listens on the tenant's topic (events before that are not owed). */
async function subscribeInboxEvents(s: TestServer, pubsub: TrackingPubSub, token: string, t: { after(fn: () => void): void }) {
  const topic = Topics.tenant(s.demo.tenant.id);
  const opened = pubsub.subscriptionsOpened(topic);
  const ws = wsClient(s.url, token);
  t.after(() => void ws.dispose());
  const events = new SubscriptionCollector(ws, AdminInboxEventsDocument, {});
  await pubsub.waitForOpened(topic, opened);
  return events;
}

describe('archiving and membership', () => {
  const pubsub = new TrackingPubSub();
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ pubsub, deliveryWorker: false });
  });
  after(() => s?.close());

  test('an archived inbox refuses sends with INBOX_ARCHIVED, fails what was pending, keeps its history and still takes customer messages', async () => {
    const owner = s.client(s.tokens.owner);
    const inbox = (
      await owner.data(AdminCreateInboxDocument, {
        input: { name: 'Telegram', channel: 'TELEGRAM', senderAddress: 'AcmeBot', settings: { sandbox: {} } },
      })
    ).createInbox.inbox;
    const inbound = await owner.data(SimulateInboundDocument, { inboxId: inbox.id, from: '123456789', text: 'Hi there', name: 'Tom' });
    const conversationId = inbound.simulateInboundMessage.conversation!.id;
    const pending = (await owner.data(AdminSendTextDocument, { conversationId, text: 'queued before archiving' })).sendMessage.message;
    assert.equal(pending.deliveryStatus, 'PENDING');

    await owner.data(AdminArchiveInboxDocument, { inboxId: inbox.id });
    const messagesBefore = await s.db.em.fork().count(Message, { conversationId });
    const refused = await owner.request(AdminSendTextDocument, { conversationId, text: 'after archiving' });
    assert.equal(errorCode(refused), 'INBOX_ARCHIVED');
    assert.equal(refused.errors![0].extensions!.inboxId, inbox.id);
    assert.equal(await s.db.em.fork().count(Message, { conversationId }), messagesBefore, 'the refusal wrote nothing');

    // The worker starts only now: the message accepted before archiving is failed, not sent.
    s.server.deps.delivery.start();
    const failed = await waitForMessage(
      s.db,
      s.server.deps.pubsub,
      s.demo.tenant.id,
      pending.id,
      (m) => m.deliveryStatus !== DeliveryStatus.PENDING,
    );
    assert.equal(failed.deliveryStatus, DeliveryStatus.FAILED);
    assert.equal(failed.failureCode, 'inbox_archived');

    // History stays readable, the inbox stays listed (archived), and a customer can still write in.
    const listed = await owner.data(AdminVisibleInboxesDocument, {});
    assert.ok(listed.inboxes.nodes.find((i) => i.id === inbox.id)?.archivedAt);
    assert.ok(listed.conversations.edges.some((e) => e.node.id === conversationId));
    await owner.data(SimulateInboundDocument, { inboxId: inbox.id, from: '123456789', text: 'Still there?', name: 'Tom' });
    assert.equal(await s.db.em.fork().count(Message, { conversationId }), messagesBefore + 1);
    assert.equal(
      errorCode(await owner.request(AdminAddInboxMemberDocument, { inboxId: inbox.id, userId: s.demo.agent.id })),
      'INBOX_ARCHIVED',
    );
  });

  test('adding and removing a member changes what the agent sees, on open subscriptions too', async (t) => {
    const owner = s.client(s.tokens.owner);
    const agent = s.client(s.tokens.agent);
    const sms = s.demo.sms.id;
    const seen = async () => {
      const data = await agent.data(AdminVisibleInboxesDocument, {});
      return {
        inboxes: data.inboxes.nodes.map((i) => i.id),
        smsConversations: data.conversations.edges.filter((e) => e.node.inbox.id === sms).length,
      };
    };
    assert.deepEqual((await seen()).inboxes, [s.demo.whatsapp.id]);
    assert.equal((await seen()).smsConversations, 0);

    const events = await subscribeInboxEvents(s, pubsub, s.tokens.agent, t);

    const added = await owner.data(AdminAddInboxMemberDocument, { inboxId: sms, userId: s.demo.agent.id });
    assert.ok(added.addInboxMember.inbox.members.some((m) => m.id === s.demo.agent.id));
    const addedEvent = await events.waitFor((r) => r.data?.inboxEvents.type === 'INBOX_MEMBER_ADDED');
    assert.equal((addedEvent.data!.inboxEvents as { member?: { id: string } }).member?.id, s.demo.agent.id);
    const now = await seen();
    assert.deepEqual(now.inboxes.sort(), [s.demo.whatsapp.id, sms].sort());
    assert.ok(now.smsConversations > 0);

    // Adding again is a no-op (no second event).
    const eventsBefore = await s.db.em.fork().count(DomainEvent, { inboxId: sms });
    await owner.data(AdminAddInboxMemberDocument, { inboxId: sms, userId: s.demo.agent.id });
    assert.equal(await s.db.em.fork().count(DomainEvent, { inboxId: sms }), eventsBefore);

    await owner.data(AdminRemoveInboxMemberDocument, { inboxId: sms, userId: s.demo.agent.id });
    assert.deepEqual((await seen()).inboxes, [s.demo.whatsapp.id]);
    assert.equal((await seen()).smsConversations, 0);

    // On the open socket: an SMS event after the removal is not delivered; a WhatsApp one after it is.
    const delivered = events.results.length;
    await owner.data(SimulateInboundDocument, { inboxId: sms, from: '+14155550999', text: 'sms after removal', name: 'Zed' });
    await owner.data(AdminUpdateInboxDocument, { input: { inboxId: s.demo.whatsapp.id, name: 'WhatsApp Support (EU)' } });
    await events.waitFor((r) => r.data?.inboxEvents.type === 'INBOX_UPDATED', 5000, delivered);
    const after = events.results.slice(delivered).map((r) => r.data?.inboxEvents);
    assert.ok(
      after.every((e) => !(e && 'conversation' in e && e.conversation) || e.type !== 'CONVERSATION_CREATED'),
      `no SMS conversation event reached the removed agent: ${JSON.stringify(after)}`,
    );
    assert.deepEqual(
      after.map((e) => e?.type),
      ['INBOX_UPDATED'],
    );
  });

  test('the CLI creates, tests, archives and lists inboxes through the same service, and rotates the secrets key', async () => {
    const meta = fakeMeta();
    await meta.start();
    try {
      const env = { ...process.env, DATA_DIR: s.config.dataDir, DATABASE_URL: s.config.databaseUrl, NODE_ENV: 'test' };
      const cli = async (args: string[], extraEnv: Record<string, string> = {}) => {
        try {
          const out = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'src/cli/inbox.ts', ...args], {
            cwd: ROOT,
            env: { ...env, ...extraEnv },
            encoding: 'utf8',
          });
          return { code: 0, stdout: out.stdout.trim(), stderr: out.stderr.trim() };
        } catch (err) {
          const e = err as { code: number; stdout: string; stderr: string };
          return { code: e.code, stdout: e.stdout.trim(), stderr: e.stderr.trim() };
        }
      };
      const tenant = s.demo.tenant.id;
      const settings = (token: string) =>
        JSON.stringify({ whatsappCloud: { phoneNumberId: PHONE_NUMBER_ID, accessToken: token, appSecret: APP_SECRET, baseUrl: meta.url } });
      const create = (settingsJson: string) =>
        cli([
          'create',
          '--tenant',
          tenant,
          '--name',
          'CLI WA',
          '--channel',
          'whatsapp',
          '--sender',
          '+14155550177',
          '--settings',
          settingsJson,
        ]);

      const bad = await create('{"whatsappCloud":{"phoneNumberId":"1"}}');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /BAD_USER_INPUT: .*whatsappCloud\.phoneNumberId/);

      const created = await create(settings('EAAG-wrong-token-for-cli-0000'));
      assert.equal(created.code, 0, created.stderr);
      const inboxId = created.stdout;
      assert.match(inboxId, /^ibx_/);

      // The server sees it, secrets configured and hidden; the event is in the log.
      const listed = await s.client(s.tokens.admin).data(AdminInboxesDocument, {});
      const inbox = listed.inboxes.nodes.find((i) => i.id === inboxId)!;
      assert.equal(inbox.name, 'CLI WA');
      assert.deepEqual(
        inbox.secrets!.find((x) => x.name === 'accessToken'),
        { name: 'accessToken', configured: true, hint: '…0000' },
      );
      assert.equal(await s.db.em.fork().count(DomainEvent, { inboxId, type: 'inbox.created' as never }), 1);

      const test1 = await cli(['test', '--tenant', tenant, '--inbox', inboxId]);
      assert.equal(test1.code, 1);
      assert.match(test1.stdout, /^BAD_CREDENTIALS: /);
      assert.equal((await cli(['update', '--tenant', tenant, '--inbox', inboxId, '--settings', settings(ACCESS_TOKEN)])).code, 0);
      assert.match((await cli(['test', '--tenant', tenant, '--inbox', inboxId])).stdout, /^OK: /);

      const list = await cli(['list', '--tenant', tenant]);
      assert.match(list.stdout, new RegExp(`${inboxId}.*accessToken=…${ACCESS_TOKEN.slice(-4)}`));
      assert.ok(!list.stdout.includes(ACCESS_TOKEN) && !list.stdout.includes(APP_SECRET), 'list shows hints only');

      // Rotation: a new SECRETS_KEY with the generated one as previous re-encrypts everything; the old key alone then no longer opens it.
      const oldKey = fs.readFileSync(path.join(s.config.dataDir, 'secrets.key'), 'utf8').trim();
      const newKey = Buffer.alloc(32, 9).toString('base64');
      const rotated = await cli(['rotate-secrets'], { SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: oldKey });
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /re-encrypted [1-9]\d* secret/);
      assert.match((await cli(['test', '--tenant', tenant, '--inbox', inboxId], { SECRETS_KEY: newKey })).stdout, /^OK: /);
      assert.match((await cli(['test', '--tenant', tenant, '--inbox', inboxId])).stdout, /^BAD_CREDENTIALS: .*SECRETS_KEY/);
      // Rotate back so the running server (which holds the old key) can still open the secrets.
      await cli(['rotate-secrets'], { SECRETS_KEY: oldKey, SECRETS_KEY_PREVIOUS: newKey });

      assert.match((await cli(['archive', '--tenant', tenant, '--inbox', inboxId])).stdout, /archived/);
      assert.match((await cli(['archive', '--tenant', tenant, '--inbox', inboxId])).stdout, /already archived/);
      assert.ok((await s.db.em.fork().findOneOrFail(Inbox, { id: inboxId })).archivedAt);
    } finally {
      await meta.close();
    }
  });

  test('legacy plaintext provider settings keep working and rotate-secrets encrypts them', async () => {
    const em = s.db.em.fork();
    const legacy = em.create(Inbox, {
      tenantId: s.demo.tenant.id,
      name: 'Legacy WA',
      channel: EntityChannelKind.WHATSAPP,
      provider: 'whatsapp_cloud',
      senderAddress: '+14155550188',
      windowHours: null,
      humanAgentWindowHours: null,
      providerConfig: {
        phoneNumberId: PHONE_NUMBER_ID,
        accessToken: ACCESS_TOKEN,
        appSecret: APP_SECRET,
        baseUrl: 'http://127.0.0.1:9/v21.0',
      },
      createdAt: new Date(),
    });
    await em.flush();
    const admin = s.client(s.tokens.admin);
    const before = (await admin.data(AdminInboxesDocument, {})).inboxes.nodes.find((i) => i.id === legacy.id)!;
    assert.deepEqual(
      before.secrets!.find((x) => x.name === 'accessToken'),
      { name: 'accessToken', configured: true, hint: `…${ACCESS_TOKEN.slice(-4)}` },
    );
    const adapterConfig = s.server.deps.channels.forInbox(legacy);
    assert.equal(adapterConfig.provider, 'whatsapp_cloud');

    const report = await rotateSecrets(s.db.em, s.server.deps.channels.deps.secrets!);
    assert.ok(report.sealedLegacy >= 2);
    const rows: { provider_config: unknown }[] = await (s.db.em.fork() as SqlEntityManager).execute(
      'select provider_config, provider_secrets from inbox where id = ?',
      [legacy.id],
    );
    assertNoSecrets('the re-encrypted legacy row', rows);
    const reread = await s.db.em.fork().findOneOrFail(Inbox, { id: legacy.id });
    assert.equal(typeof s.server.deps.channels.forInbox(reread).send, 'function', 'still builds with the sealed secrets');
  });
});
