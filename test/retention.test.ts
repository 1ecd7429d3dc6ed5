import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server';
import { loadConfig } from '../src/config';
import { SandboxCallback } from '../src/channels/sandbox/sandbox-callback.entity';
import { PendingStatus } from '../src/modules/delivery/pending-status.entity';
import { WebhookReceipt } from '../src/modules/delivery/webhook-receipt.entity';
import { DomainEvent } from '../src/modules/event/event.entity';
import { IdempotencyRecord } from '../src/modules/idempotency/idempotency-record.entity';
import { DeliveryStatus } from '../src/modules/message/delivery-status';

const HOUR = 60 * 60 * 1000;

describe('the retention job', () => {
  let s: TestServer;
  before(async () => {
    // 24 h rather than the default, to show the setting is what decides.
    s = await startTestServer({ deliveryWorker: false, config: { webhookRetentionHours: 24, eventPruneIntervalMs: 0 } });
  });
  after(() => s.close());

  test('deletes exactly the expired idempotency records, old webhook receipts, old parked statuses and old finished sandbox callbacks', async () => {
    const now = new Date();
    const ago = (hours: number) => new Date(now.getTime() - hours * HOUR);
    const em = s.db.em.fork();
    const record = (key: string, expiresAt: Date) =>
      em.create(IdempotencyRecord, {
        tenantId: s.demo.tenant.id,
        operation: 'sendMessage',
        key,
        requestHash: 'f'.repeat(64),
        resultId: 'msg_retention',
        createdAt: ago(30),
        expiresAt,
      });
    const receipt = (providerEventId: string, receivedAt: Date) =>
      em.create(WebhookReceipt, { inboxId: s.demo.whatsapp.id, providerEventId, receivedAt });
    const parked = (channelMessageId: string, receivedAt: Date) =>
      em.create(PendingStatus, {
        inboxId: s.demo.whatsapp.id,
        channelMessageId,
        status: DeliveryStatus.DELIVERED,
        providerEventId: `evt_${channelMessageId}`,
        occurredAt: receivedAt,
        receivedAt,
      });
    const sandbox = (messageId: string, acceptedAt: Date, doneAt: Date | null) =>
      em.create(SandboxCallback, {
        inboxId: s.demo.whatsapp.id,
        messageId,
        channelMessageId: `sandbox.${messageId}`,
        recipient: '+48500100200',
        statuses: 'sent,delivered,read',
        step: doneAt ? 3 : 1,
        intervalMs: 0,
        attempts: 0,
        dueAt: doneAt ? null : now,
        acceptedAt,
        doneAt,
      });
    record('expired-long-ago', ago(6));
    record('expired-just-now', now);
    record('still-valid', new Date(now.getTime() + HOUR));
    receipt('evt-old', ago(25));
    receipt('evt-recent', ago(23));
    parked('wamid.never-sent', ago(25));
    parked('wamid.about-to-commit', ago(23));
    sandbox('msg_done_long_ago', ago(26), ago(25));
    sandbox('msg_done_recently', ago(26), ago(23));
    // Still owes a callback (its server was down for a day): kept whatever its age.
    sandbox('msg_still_owed', ago(26), null);
    await em.flush();
    const eventsBefore = await s.db.em.fork().count(DomainEvent, {});

    const report = await s.server.deps.retention.prune(now);
    assert.deepEqual(report, { events: 0, idempotencyRecords: 2, webhookReceipts: 1, pendingStatuses: 1, sandboxCallbacks: 1 });

    const read = s.db.em.fork();
    assert.deepEqual(
      (await read.find(IdempotencyRecord, {}, { orderBy: { key: 'asc' } })).map((r) => r.key),
      ['still-valid'],
    );
    assert.deepEqual(
      (await read.find(WebhookReceipt, { providerEventId: { $in: ['evt-old', 'evt-recent'] } })).map((r) => r.providerEventId),
      ['evt-recent'],
    );
    assert.deepEqual(
      (await read.find(PendingStatus, {})).map((p) => p.channelMessageId),
      ['wamid.about-to-commit'],
    );
    assert.deepEqual(
      (await read.find(SandboxCallback, {}, { orderBy: { messageId: 'asc' } })).map((c) => c.messageId),
      ['msg_done_recently', 'msg_still_owed'],
    );
    assert.equal(await read.count(DomainEvent, {}), eventsBefore, 'recent events are kept');

    // A second run finds nothing more to do.
    assert.deepEqual(await s.server.deps.retention.prune(now), {
      events: 0,
      idempotencyRecords: 0,
      webhookReceipts: 0,
      pendingStatuses: 0,
      sandboxCallbacks: 0,
    });
  });

  test('webhook retention comes from WEBHOOK_RETENTION_HOURS (default 168)', () => {
    assert.equal(loadConfig({}).webhookRetentionHours, 168);
    assert.equal(loadConfig({ WEBHOOK_RETENTION_HOURS: '24' }).webhookRetentionHours, 24);
    assert.throws(() => loadConfig({ WEBHOOK_RETENTION_HOURS: 'a week' }), /WEBHOOK_RETENTION_HOURS/);
  });
});
