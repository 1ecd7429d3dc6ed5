import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { startTestServer, type TestServer } from './helpers/server';
import { authenticate } from '../src/modules/auth/auth.service';
import type { Viewer } from '../src/modules/auth/viewer';
import { closeConversation, markConversationRead, reassignConversation } from '../src/modules/conversation/conversation-actions.service';
import { Conversation } from '../src/modules/conversation/conversation.entity';
import { EventType } from '../src/modules/event/event-type';
import type { EventMessage } from '../src/modules/event/event.service';
import { Message } from '../src/modules/message/message.entity';
import { reactToMessage } from '../src/modules/reaction/reaction.service';
import { Topics } from '../src/pubsub/pubsub';

/**
 * "Publish events after commit, from services, awaited": the services publish what they commit,
 * so any caller (a resolver, a job, a script) gets the events out, and by the time a call returns
 * its events are queued for every subscriber.
 */
describe('conversation and reaction services publish what they commit', () => {
  let s: TestServer;
  let viewer: Viewer;
  before(async () => {
    s = await startTestServer({ deliveryWorker: false });
    viewer = (await authenticate(s.db.em.fork(), s.tokens.owner))!;
  });
  after(() => s.close());

  /** Runs `action` and returns the events published meanwhile (already queued when it returns). */
  async function publishedBy(action: () => Promise<unknown>): Promise<EventType[]> {
    const events = s.server.deps.pubsub.subscribe<EventMessage>(Topics.tenant(s.demo.tenant.id));
    try {
      const first = events.next();
      await action();
      // A marker published after the action returns: everything before it was the action's.
      await s.server.deps.pubsub.publish(Topics.tenant(s.demo.tenant.id), { type: 'MARKER' } as unknown as EventMessage);
      const types: EventType[] = [];
      for (let next = await first; !next.done && (next.value.type as string) !== 'MARKER'; next = await events.next()) {
        types.push(next.value.type);
      }
      return types;
    } finally {
      await events.return?.();
    }
  }

  const em = () => s.db.em.fork() as SqlEntityManager;
  const conversation = (name: string) => em().findOneOrFail(Conversation, { id: s.demo.conversations.find((c) => c.name === name)!.id });

  test('reassignConversation, markConversationRead, closeConversation', async () => {
    const farah = await conversation('Farah Haddad');
    assert.deepEqual(await publishedBy(() => reassignConversation(s.server.deps, em(), viewer, farah, s.demo.admin.id)), [
      EventType.CONVERSATION_ASSIGNED,
    ]);
    const last = await em().findOneOrFail(Message, { conversationId: farah.id }, { orderBy: { id: 'desc' } });
    assert.deepEqual(await publishedBy(() => markConversationRead(s.server.deps, em(), viewer, farah, last)), [
      EventType.CONVERSATION_READ,
    ]);
    assert.deepEqual(await publishedBy(() => closeConversation(s.server.deps, em(), viewer, farah)), [EventType.CONVERSATION_CLOSED]);
    // No-ops publish nothing.
    assert.deepEqual(await publishedBy(() => closeConversation(s.server.deps, em(), viewer, farah)), []);
  });

  test('reactToMessage', async () => {
    const anna = await conversation('Anna Kowalska');
    const message = await em().findOneOrFail(Message, { conversationId: anna.id }, { orderBy: { id: 'asc' } });
    assert.deepEqual(await publishedBy(() => reactToMessage(s.server.deps, em(), viewer, message, anna, '👍', false)), [
      EventType.REACTION_CHANGED,
    ]);
    assert.deepEqual(await publishedBy(() => reactToMessage(s.server.deps, em(), viewer, message, anna, '👍', false)), []);
  });
});
