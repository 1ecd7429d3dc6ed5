import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainEvent } from '../src/modules/event/event.entity';
import { Inbox } from '../src/modules/inbox/inbox.entity';
import { RateCreateInboxDocument, RateInboxesDocument, RateUpdateInboxDocument } from './generated/graphql';
import { errorCode } from './helpers/client';
import { startTestServer, type TestServer } from './helpers/server';

/**
 * An inbox's own throughput limit (`sendsPerSecond`, below its provider's) through the admin API:
 * stored and shown to admins, removable, validated with a refusal naming the field, and not
 * readable by agents.
 */
describe('inbox sendsPerSecond over GraphQL', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({});
  });
  after(async () => {
    await s?.close();
  });

  const sandboxInput = (sendsPerSecond?: number | null) => ({
    name: 'Rate-limited SMS',
    channel: 'SMS' as const,
    senderAddress: '+14155550199',
    settings: { sandbox: { latencyMs: 0 } },
    sendsPerSecond,
  });
  /** The stored limit and how many events the inbox has: what a refused change must leave alone. */
  const stored = async (inboxId: string) => {
    const em = s.db.em.fork();
    return {
      sendsPerSecond: (await em.findOneOrFail(Inbox, { id: inboxId })).sendsPerSecond,
      events: await em.count(DomainEvent, { inboxId }),
    };
  };
  const refusedFields = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    ((res.errors?.[0]?.extensions?.fields as { field: string }[] | undefined) ?? []).map((f) => f.field);

  test('an admin sets a limit on create, reads it back, changes it, and 0 removes it', async () => {
    const admin = s.client(s.tokens.admin);
    const created = (await admin.data(RateCreateInboxDocument, { input: sandboxInput(2.5) })).createInbox.inbox;
    assert.equal(created.sendsPerSecond, 2.5);
    assert.equal((await stored(created.id)).sendsPerSecond, 2.5);
    const listed = (await admin.data(RateInboxesDocument, {})).inboxes.nodes.find((n) => n.id === created.id);
    assert.equal(listed?.sendsPerSecond, 2.5, 'the inbox list shows the limit to an admin');

    const raised = (await admin.data(RateUpdateInboxDocument, { input: { inboxId: created.id, sendsPerSecond: 1000 } })).updateInbox.inbox;
    assert.equal(raised.sendsPerSecond, 1000, 'the upper bound itself is allowed');
    const kept = (await admin.data(RateUpdateInboxDocument, { input: { inboxId: created.id, name: 'Renamed' } })).updateInbox.inbox;
    assert.equal(kept.sendsPerSecond, 1000, 'an update that leaves the field out keeps the limit');
    const removed = (await admin.data(RateUpdateInboxDocument, { input: { inboxId: created.id, sendsPerSecond: 0 } })).updateInbox.inbox;
    assert.equal(removed.sendsPerSecond, null);
    assert.equal((await stored(created.id)).sendsPerSecond, null);

    const unlimited = (await admin.data(RateCreateInboxDocument, { input: sandboxInput() })).createInbox.inbox;
    assert.equal(unlimited.sendsPerSecond, null, 'no limit unless one is given');
  });

  test('a negative, zero-on-create or above-1000 limit is BAD_USER_INPUT naming input.sendsPerSecond and changes nothing', async () => {
    const admin = s.client(s.tokens.admin);
    const inboxesBefore = await s.db.em.fork().count(Inbox, {});
    for (const bad of [-1, 0, 1000.5, 5000]) {
      const res = await admin.request(RateCreateInboxDocument, { input: sandboxInput(bad) });
      assert.equal(errorCode(res), 'BAD_USER_INPUT', `create with ${bad}`);
      assert.deepEqual(refusedFields(res), ['input.sendsPerSecond'], `create with ${bad}`);
    }
    assert.equal(await s.db.em.fork().count(Inbox, {}), inboxesBefore, 'no inbox was created');

    const { id } = (await admin.data(RateCreateInboxDocument, { input: sandboxInput(4) })).createInbox.inbox;
    const before = await stored(id);
    for (const bad of [-0.5, -10, 1001]) {
      const res = await admin.request(RateUpdateInboxDocument, { input: { inboxId: id, name: 'Not applied', sendsPerSecond: bad } });
      assert.equal(errorCode(res), 'BAD_USER_INPUT', `update with ${bad}`);
      assert.deepEqual(refusedFields(res), ['input.sendsPerSecond'], `update with ${bad}`);
    }
    assert.deepEqual(await stored(id), before, 'the limit and the event log are unchanged');
    assert.equal(
      (await s.db.em.fork().findOneOrFail(Inbox, { id })).name,
      'Rate-limited SMS',
      'nothing else of the refused update applied',
    );
  });

  test("an agent cannot read an inbox's limit (FORBIDDEN on the field, null in the data) nor set it", async () => {
    const admin = s.client(s.tokens.admin);
    const inboxId = s.demo.whatsapp.id;
    await admin.data(RateUpdateInboxDocument, { input: { inboxId, sendsPerSecond: 3 } });

    const agent = s.client(s.tokens.agent);
    const res = await agent.request(RateInboxesDocument, {});
    const node = res.data!.inboxes.nodes.find((n) => n.id === inboxId);
    assert.ok(node, 'the agent sees the inbox itself');
    assert.equal(node.sendsPerSecond, null);
    assert.ok(res.errors?.length && res.errors.every((e) => e.extensions?.code === 'FORBIDDEN'), JSON.stringify(res.errors));
    assert.ok(!JSON.stringify(res).includes('"sendsPerSecond":3'));

    const before = await stored(inboxId);
    const update = await agent.request(RateUpdateInboxDocument, { input: { inboxId, sendsPerSecond: 500 } });
    assert.equal(errorCode(update), 'FORBIDDEN');
    assert.deepEqual(await stored(inboxId), before);
  });
});
