import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EntityManager } from '@mikro-orm/core';
import { readEvents, headSeq } from '../src/modules/event/event-log.service';
import { appendEvent, appendEvents, toEventMessage, type EventDraft } from '../src/modules/event/event.service';
import { EventType } from '../src/modules/event/event-type';
import { seedDemo } from '../src/seed/demo';
import { postgresUnavailable } from './helpers/postgres';
import { startTestServer } from './helpers/server';

/**
 * appendEvents (the webhook batch path) hands out the same cursors one appendEvent per draft
 * would: consecutive per tenant, in draft order, after and before single appends of the same
 * transaction; and what it returns is what the log replays.
 */
for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`appendEvents (${dialect})`, async () => {
    const skip = dialect === 'postgres' ? await postgresUnavailable() : null;

    test('cursors follow draft order per tenant, between single appends, and replay as returned', { skip: skip ?? false }, async (t) => {
      let other!: string;
      const s = await startTestServer({
        dialect,
        deliveryWorker: false,
        beforeStart: async (db) => {
          other = (await seedDemo(db.em.fork())).tenant.id;
        },
      });
      t.after(() => s.close());
      const mine = s.demo.tenant.id;
      const draft = (tenantId: string, n: number): EventDraft => ({
        tenantId,
        type: EventType.MESSAGE_STATUS_CHANGED,
        inboxId: tenantId === mine ? s.demo.whatsapp.id : null,
        causationId: `evt-${n}`,
        payload: { n, nested: { to: 'read' } },
      });
      const heads = async (em: EntityManager) => [await headSeq(em, mine), await headSeq(em, other)];
      const [mineBefore, otherBefore] = await heads(s.db.em.fork());

      const { single, batch, last } = await s.db.em.fork().transactional(async (tx) => {
        const single = await appendEvent(tx, draft(mine, 0));
        // Interleaved tenants: each tenant's drafts get consecutive cursors in the order given.
        const batch = await appendEvents(tx, [draft(other, 1), draft(mine, 2), draft(mine, 3), draft(other, 4), draft(mine, 5)]);
        const last = await appendEvent(tx, draft(mine, 6));
        return { single, batch, last };
      });

      assert.equal(Number(single.seq), mineBefore + 1);
      assert.deepEqual(
        batch.map((e) => [e.tenantId === mine ? 'mine' : 'other', Number(e.seq), e.payload.n]),
        [
          ['other', otherBefore + 1, 1],
          ['mine', mineBefore + 2, 2],
          ['mine', mineBefore + 3, 3],
          ['other', otherBefore + 2, 4],
          ['mine', mineBefore + 4, 5],
        ],
      );
      assert.equal(Number(last.seq), mineBefore + 5);
      assert.deepEqual(await heads(s.db.em.fork()), [mineBefore + 5, otherBefore + 2]);
      assert.equal(new Set(batch.map((e) => e.id)).size, batch.length);

      // What was returned (and is published) is what a reader resuming from the log gets.
      const replayed = await readEvents(s.db.em.fork(), mine, { after: mineBefore, limit: 10 });
      assert.deepEqual(
        replayed.map((e) => toEventMessage(e)),
        [single, ...batch.filter((e) => e.tenantId === mine), last].map((e) => toEventMessage(e)),
      );
      assert.deepEqual(await appendEvents(s.db.em.fork(), []), []);
    });
  });
}
