import type { PubSub } from '../../pubsub/pubsub';
import { Topics } from '../../pubsub/pubsub';
import type { DomainEvent } from './event.entity';
import { toEventMessage } from './event.service';

/**
 * Publishes committed events, in cursor order. Call only after the transaction that appended them
 * has committed: subscribers may read the database as soon as they hear of an event.
 */
export async function publishEvents(pubsub: PubSub, events: readonly DomainEvent[]): Promise<void> {
  for (const event of [...events].sort((a, b) => Number(a.seq) - Number(b.seq))) {
    await pubsub.publish(Topics.tenant(event.tenantId), toEventMessage(event));
  }
}
