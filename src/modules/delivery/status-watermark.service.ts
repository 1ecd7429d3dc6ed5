import type { EntityManager, FindOptions } from '@mikro-orm/core';
import type { StatusWatermarkEvent } from '../../channels/channel-adapter';
import { Conversation } from '../conversation/conversation.entity';
import type { DomainEvent } from '../event/event.entity';
import type { Inbox } from '../inbox/inbox.entity';
import { DeliveryStatus } from '../message/delivery-status';
import { Message } from '../message/message.entity';
import { MessageDirection } from '../message/sender-type';
import { lockedRead } from './delivery.locks';
import { applyStatusChange } from './status.service';

/** Statuses a watermark may move a message out of: it never touches PENDING (not yet sent) or FAILED. */
const BELOW: Readonly<Record<string, DeliveryStatus[]>> = {
  [DeliveryStatus.DELIVERED]: [DeliveryStatus.SENT],
  [DeliveryStatus.READ]: [DeliveryStatus.SENT, DeliveryStatus.DELIVERED],
};

/**
 * A watermark (Messenger `delivery` / `read`): every outbound message of the customer's
 * conversations in this inbox that was sent at or before `upTo` reaches `status`. The status
 * machine keeps it monotonic: a message already further along is not moved, and a repeated or
 * older watermark changes nothing. One query for the messages, one event per message moved.
 */
export async function receiveStatusWatermark(
  em: EntityManager,
  inbox: Pick<Inbox, 'id' | 'tenantId'>,
  event: StatusWatermarkEvent,
): Promise<DomainEvent[]> {
  const from = BELOW[event.status];
  if (!from) return [];
  const conversations = await em.find(
    Conversation,
    { tenantId: inbox.tenantId, inboxId: inbox.id, externalId: event.address },
    { fields: ['id'] },
  );
  if (!conversations.length) return [];
  const messages = await em.find(
    Message,
    {
      tenantId: inbox.tenantId,
      conversationId: { $in: conversations.map((c) => c.id) },
      direction: MessageDirection.OUTBOUND,
      deliveryStatus: { $in: from },
      createdAt: { $lte: event.upTo },
    },
    { ...(lockedRead<Message>(em) as FindOptions<Message>), orderBy: { createdAt: 'asc', id: 'asc' } },
  );
  const events: DomainEvent[] = [];
  for (const message of messages) {
    const moved = await applyStatusChange(em, message, { status: event.status, at: event.occurredAt, causationId: event.providerEventId });
    if (moved) events.push(moved);
  }
  return events;
}
