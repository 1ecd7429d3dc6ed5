import { randomBytes } from 'node:crypto';
import { sandboxStatusEvent } from '../../src/channels/sandbox/sandbox.carrier';
import { SANDBOX_SIGNATURE_HEADER, signSandboxWebhook } from '../../src/channels/sandbox/sandbox.wire';
import type { Database } from '../../src/db/orm';
import { newId } from '../../src/lib/ids';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { Contact } from '../../src/modules/contact/contact.entity';
import { Conversation } from '../../src/modules/conversation/conversation.entity';
import { ConversationStatus } from '../../src/modules/conversation/conversation-status';
import { Inbox } from '../../src/modules/inbox/inbox.entity';
import { ContentKind } from '../../src/modules/message/content-kind';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { Message } from '../../src/modules/message/message.entity';
import { previewOf, type StoredContent } from '../../src/modules/message/message-content';
import { MessageDirection, SenderType } from '../../src/modules/message/sender-type';

/** The inbox the fan-out benchmark drives, and the messages whose status callbacks it sends. */
export interface FanoutFixture {
  inboxId: string;
  conversationId: string;
  /** The inbox's own sandbox webhook secret, so the benchmark signs callbacks like the sandbox does. */
  webhookSecret: string;
  /** Outbound messages at SENT, one per status event to send (the state machine ignores repeats). */
  channelMessageIds: string[];
}

/**
 * Adds to the seeded tenant a sandbox inbox whose simulated provider sends nothing by itself
 * (`statusCallbacks: []`, no latency, no failures: every status webhook is the benchmark's), one
 * open conversation, and `messages` outbound messages at SENT with channel message ids, written
 * straight to the database in one transaction. Each gets exactly one DELIVERED callback.
 */
export async function prepareFanoutFixture(db: Database, tenantId: string, ownerId: string, messages: number): Promise<FanoutFixture> {
  const webhookSecret = randomBytes(32).toString('base64url');
  const now = Date.now();
  const start = new Date(now - 60_000);
  const channelMessageIds: string[] = [];
  let inboxId = '';
  let conversationId = '';
  await db.orm.em.fork().transactional(async (em) => {
    const inbox = em.create(Inbox, {
      tenantId,
      name: 'Fan-out benchmark',
      channel: ChannelKind.WHATSAPP,
      provider: 'sandbox',
      senderAddress: '+14155550177',
      windowHours: null,
      humanAgentWindowHours: null,
      providerConfig: { statusCallbacks: [], latencyMs: 0, failureRate: 0, webhookSecret },
      createdAt: start,
    });
    const contact = em.create(Contact, { tenantId, name: 'Fan-out Customer', createdAt: start });
    const content: StoredContent = { kind: ContentKind.TEXT, body: 'Your order has shipped.' };
    const conversation = em.create(Conversation, {
      id: newId('conversation', start),
      tenantId,
      inboxId: inbox.id,
      contactId: contact.id,
      channel: ChannelKind.WHATSAPP,
      externalId: '+12025550177',
      name: 'Fan-out Customer',
      status: ConversationStatus.OPEN,
      assigneeId: ownerId,
      createdAt: start,
      updatedAt: start,
      lastActivityAt: start,
      lastMessageAt: start,
      lastMessageId: null,
      lastMessagePreview: previewOf(content),
      lastMessageSender: SenderType.USER,
      lastInboundAt: null,
      inboundCount: 0,
      currentSessionId: null,
    });
    for (let i = 0; i < messages; i++) {
      const at = new Date(start.getTime() + i);
      const channelMessageId = `sandbox.fanout.${i}.${inbox.id.slice(-8)}`;
      const message = em.create(Message, {
        id: newId('message', at),
        tenantId,
        conversationId: conversation.id,
        inboxId: inbox.id,
        sessionId: null,
        direction: MessageDirection.OUTBOUND,
        senderType: SenderType.USER,
        senderUserId: ownerId,
        contentKind: content.kind,
        content,
        deliveryStatus: DeliveryStatus.SENT,
        failureCode: null,
        failureReason: null,
        channelMessageId,
        clientMessageId: null,
        replyToId: null,
        statusHistory: [
          { status: DeliveryStatus.PENDING, at: at.toISOString() },
          { status: DeliveryStatus.SENT, at: at.toISOString() },
        ],
        lastStatusAt: at,
        createdAt: at,
        updatedAt: at,
      });
      conversation.lastMessageId = message.id;
      conversation.lastMessageAt = conversation.lastActivityAt = at;
      channelMessageIds.push(channelMessageId);
    }
    inboxId = inbox.id;
    conversationId = conversation.id;
  });
  return { inboxId, conversationId, webhookSecret, channelMessageIds };
}

/** One signed sandbox status callback: the body and headers of `POST /webhooks/:inboxId`. */
export function signedStatusCallback(
  fixture: FanoutFixture,
  channelMessageId: string,
  eventId: string,
  at: Date,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ events: [sandboxStatusEvent(channelMessageId, DeliveryStatus.DELIVERED, { id: eventId, at })] });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [SANDBOX_SIGNATURE_HEADER]: signSandboxWebhook(fixture.webhookSecret, body, at.getTime()),
    },
  };
}
