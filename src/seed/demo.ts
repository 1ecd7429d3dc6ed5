import type { EntityManager } from '@mikro-orm/core';
import { newId } from '../lib/ids';
import { ChannelKind } from '../modules/channel/channel-kind';
import { ContactIdentity } from '../modules/contact/contact-identity.entity';
import { Contact } from '../modules/contact/contact.entity';
import { ConversationSession } from '../modules/conversation/conversation-session.entity';
import { ConversationStatus } from '../modules/conversation/conversation-status';
import { Conversation } from '../modules/conversation/conversation.entity';
import { InboxMember } from '../modules/inbox/inbox-member.entity';
import { Inbox } from '../modules/inbox/inbox.entity';
import { ContentKind } from '../modules/message/content-kind';
import { DeliveryStatus } from '../modules/message/delivery-status';
import { previewOf, type StoredContent } from '../modules/message/message-content';
import { Message } from '../modules/message/message.entity';
import { MessageDirection, SenderType } from '../modules/message/sender-type';
import { Reaction } from '../modules/reaction/reaction.entity';
import { countInboundMessage } from '../modules/message/inbound-count';
import { ReadMarker } from '../modules/read-marker/read-marker.entity';
import { Tenant } from '../modules/tenant/tenant.entity';
import { UserRole } from '../modules/user/user-role';
import { User } from '../modules/user/user.entity';

export const DEMO_TENANT_NAME = 'Acme Demo';
export const DEMO_OWNER_EMAIL = 'olivia@acme.test';

const MINUTE = 60_000;

/** The demo workspace's handles, for printing and for tests. */
export interface DemoWorkspace {
  tenant: Tenant;
  owner: User;
  admin: User;
  agent: User;
  smsAgent: User;
  bot: User;
  whatsapp: Inbox;
  sms: Inbox;
  /** One sandbox inbox per channel kind (`whatsapp` and `sms` above among them). */
  byChannel: Record<ChannelKind, Inbox>;
  conversations: Conversation[];
}

interface Line {
  /** Minutes before `now`. */
  ago: number;
  from: 'customer' | 'agent' | 'bot' | 'note';
  text: string;
  status?: DeliveryStatus;
  reaction?: { by: 'customer' | 'agent'; emoji: string };
}

interface Script {
  inbox: 'whatsapp' | 'sms';
  name: string;
  phone: string;
  assignee?: 'agent' | 'smsAgent' | null;
  status?: ConversationStatus;
  lines: Line[];
  /** Minutes ago the assignee read up to (the newest message at or before then). */
  readAgo?: number;
}

const SCRIPTS: Script[] = [
  {
    inbox: 'whatsapp',
    name: 'Anna Kowalska',
    phone: '+48123456789',
    assignee: 'agent',
    readAgo: 40,
    lines: [
      { ago: 70, from: 'customer', text: 'Hi! Is my order #4827 ready?' },
      { ago: 65, from: 'agent', text: 'Hi Anna, let me check that for you.', status: DeliveryStatus.READ },
      {
        ago: 50,
        from: 'agent',
        text: 'Your order is ready for pickup at the Main St store.',
        status: DeliveryStatus.READ,
        reaction: { by: 'customer', emoji: '🙏' },
      },
      { ago: 45, from: 'note', text: 'Customer prefers afternoon pickups.' },
      { ago: 12, from: 'customer', text: 'Great, I will come by at 5pm.' },
    ],
  },
  {
    inbox: 'whatsapp',
    name: 'Bruno Silva',
    phone: '+5511987654321',
    assignee: null,
    lines: [
      { ago: 30, from: 'customer', text: 'Olá! Do you ship to Brazil?' },
      { ago: 29, from: 'bot', text: 'Thanks for your message! A teammate will answer shortly.', status: DeliveryStatus.DELIVERED },
    ],
  },
  {
    inbox: 'whatsapp',
    name: 'Chloé Martin',
    phone: '+33612345678',
    assignee: 'agent',
    readAgo: 60 * 30,
    lines: [
      { ago: 60 * 30, from: 'customer', text: 'The parcel arrived damaged.' },
      { ago: 60 * 29, from: 'agent', text: 'So sorry! Could you send a photo?', status: DeliveryStatus.READ },
      { ago: 60 * 28, from: 'customer', text: 'Here it is, the box is crushed.', reaction: { by: 'agent', emoji: '😢' } },
      { ago: 60 * 27, from: 'agent', text: 'Thank you, a replacement is on its way.', status: DeliveryStatus.DELIVERED },
    ],
  },
  {
    inbox: 'whatsapp',
    name: 'David Okafor',
    phone: '+2348012345678',
    assignee: 'agent',
    status: ConversationStatus.CLOSED,
    readAgo: 60 * 70,
    lines: [
      { ago: 60 * 72, from: 'customer', text: 'Can I change my delivery address?' },
      {
        ago: 60 * 71,
        from: 'agent',
        text: 'Done — updated to the new address.',
        status: DeliveryStatus.READ,
        reaction: { by: 'customer', emoji: '👍' },
      },
    ],
  },
  {
    inbox: 'whatsapp',
    name: 'Emma Fischer',
    phone: '+4915112345678',
    assignee: null,
    lines: [{ ago: 60 * 5, from: 'agent', text: 'Hello Emma, your appointment is confirmed for Monday.', status: DeliveryStatus.FAILED }],
  },
  {
    inbox: 'whatsapp',
    name: 'Farah Haddad',
    phone: '+971501234567',
    assignee: 'agent',
    lines: [
      { ago: 200, from: 'customer', text: 'Do you have the blue one in size M?' },
      { ago: 3, from: 'customer', text: 'Hello?' },
    ],
  },
  {
    inbox: 'sms',
    name: 'George Brown',
    phone: '+14155550123',
    assignee: 'smsAgent',
    readAgo: 20,
    lines: [
      { ago: 25, from: 'agent', text: 'Your technician will arrive between 2 and 4pm today.', status: DeliveryStatus.DELIVERED },
      { ago: 20, from: 'customer', text: 'Thanks! Please call when outside.' },
      { ago: 8, from: 'customer', text: 'Running 10 minutes late, sorry.' },
    ],
  },
  {
    inbox: 'sms',
    name: 'Hana Sato',
    phone: '+819012345678',
    assignee: null,
    lines: [
      { ago: 60 * 50, from: 'customer', text: 'STOP sending promos please' },
      { ago: 60 * 49, from: 'agent', text: 'Done, you are unsubscribed from promotions.', status: DeliveryStatus.SENT },
    ],
  },
  {
    inbox: 'sms',
    name: 'Ivan Petrov',
    phone: '+14155550188',
    assignee: 'smsAgent',
    status: ConversationStatus.CLOSED,
    lines: [{ ago: 60 * 24 * 6, from: 'agent', text: 'Your invoice is ready: it totals $42.00.', status: DeliveryStatus.DELIVERED }],
  },
];

/** Creates the demo workspace (a sandbox inbox per channel kind, agents, contacts and conversations with history in WhatsApp and SMS). */
export async function seedDemo(em: EntityManager, now = new Date()): Promise<DemoWorkspace> {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * MINUTE);
  const tenant = em.create(Tenant, { name: DEMO_TENANT_NAME, createdAt: at(60 * 24 * 30), eventSeq: 0 });
  const user = (name: string, email: string, role: UserRole, bot = false) =>
    em.create(User, { tenantId: tenant.id, name, email, role, bot, active: true, createdAt: tenant.createdAt });
  const owner = user('Olivia Owner', DEMO_OWNER_EMAIL, UserRole.OWNER);
  const admin = user('Adam Admin', 'adam@acme.test', UserRole.ADMIN);
  const agent = user('Alice Agent', 'alice@acme.test', UserRole.AGENT);
  const smsAgent = user('Sam Agent', 'sam@acme.test', UserRole.AGENT);
  const bot = user('Welcome Bot', 'bot@acme.test', UserRole.AGENT, true);

  const inbox = (name: string, channel: ChannelKind, senderAddress: string) =>
    em.create(Inbox, {
      tenantId: tenant.id,
      name,
      channel,
      provider: 'sandbox',
      senderAddress,
      windowHours: null,
      humanAgentWindowHours: null,
      providerConfig: { latencyMs: 300, failureRate: 0 },
      createdAt: tenant.createdAt,
    });
  const whatsapp = inbox('WhatsApp Support', ChannelKind.WHATSAPP, '+14155550100');
  const sms = inbox('SMS Notifications', ChannelKind.SMS, '+14155550199');
  // The other channel kinds, so every channel's rules can be tried in the playground (no members: agents do not see them).
  const byChannel: Record<ChannelKind, Inbox> = {
    [ChannelKind.WHATSAPP]: whatsapp,
    [ChannelKind.SMS]: sms,
    [ChannelKind.INSTAGRAM]: inbox('Instagram DMs', ChannelKind.INSTAGRAM, 'acme.demo'),
    [ChannelKind.MESSENGER]: inbox('Messenger Page', ChannelKind.MESSENGER, '109876543210987'),
    [ChannelKind.WEBCHAT]: inbox('Website Chat', ChannelKind.WEBCHAT, 'acme.test'),
    [ChannelKind.EMAIL]: inbox('Support Email', ChannelKind.EMAIL, 'support@acme.test'),
    [ChannelKind.TELEGRAM]: inbox('Telegram Bot', ChannelKind.TELEGRAM, 'AcmeDemoBot'),
  };
  const member = (u: User, i: Inbox) =>
    em.create(InboxMember, { tenantId: tenant.id, inboxId: i.id, userId: u.id, createdAt: tenant.createdAt });
  member(agent, whatsapp);
  member(bot, whatsapp);
  member(smsAgent, sms);
  member(admin, whatsapp);
  member(admin, sms);

  const users = { agent, smsAgent };
  const conversations: Conversation[] = [];
  for (const script of SCRIPTS) {
    const box = script.inbox === 'whatsapp' ? whatsapp : sms;
    const first = at(Math.max(...script.lines.map((l) => l.ago)) + 1);
    const contact = em.create(Contact, { tenantId: tenant.id, name: script.name, createdAt: first });
    em.create(ContactIdentity, { tenantId: tenant.id, contactId: contact.id, channel: box.channel, address: script.phone });
    const conversation = em.create(Conversation, {
      id: newId('conversation', first),
      tenantId: tenant.id,
      inboxId: box.id,
      contactId: contact.id,
      channel: box.channel,
      externalId: script.phone,
      name: script.name,
      status: script.status ?? ConversationStatus.OPEN,
      assigneeId: script.assignee ? users[script.assignee].id : null,
      createdAt: first,
      updatedAt: first,
      lastActivityAt: first,
      lastMessageAt: null,
      lastMessageId: null,
      lastMessagePreview: null,
      lastMessageSender: null,
      lastInboundAt: null,
      inboundCount: 0,
      currentSessionId: null,
    });
    const session = em.create(ConversationSession, {
      id: newId('session', first),
      tenantId: tenant.id,
      conversationId: conversation.id,
      inboxId: box.id,
      openedAt: first,
      closedAt: script.status === ConversationStatus.CLOSED ? at(Math.min(...script.lines.map((l) => l.ago)) - 1) : null,
    });
    if (!session.closedAt) conversation.currentSessionId = session.id;

    const messages: Message[] = [];
    for (const line of [...script.lines].sort((a, b) => b.ago - a.ago)) {
      const createdAt = at(line.ago);
      const isCustomer = line.from === 'customer';
      const content: StoredContent =
        line.from === 'note' ? { kind: ContentKind.NOTE, body: line.text } : { kind: ContentKind.TEXT, body: line.text };
      const senderType = isCustomer ? SenderType.CUSTOMER : line.from === 'bot' ? SenderType.BOT : SenderType.USER;
      const sender =
        line.from === 'bot'
          ? bot
          : line.from === 'agent' || line.from === 'note'
            ? conversation.assigneeId
              ? script.assignee === 'smsAgent'
                ? smsAgent
                : agent
              : owner
            : null;
      const status = line.status ?? null;
      const history = status ? historyTo(status, createdAt) : [];
      const message = em.create(Message, {
        id: newId('message', createdAt),
        tenantId: tenant.id,
        conversationId: conversation.id,
        inboxId: box.id,
        sessionId: session.id,
        direction: isCustomer ? MessageDirection.INBOUND : line.from === 'note' ? MessageDirection.INTERNAL : MessageDirection.OUTBOUND,
        senderType,
        senderUserId: sender?.id ?? null,
        contentKind: content.kind,
        content,
        deliveryStatus: status,
        failureCode: status === DeliveryStatus.FAILED ? 'rejected' : null,
        failureReason: status === DeliveryStatus.FAILED ? 'Recipient is not a WhatsApp user (sandbox)' : null,
        // A send the provider refused never got a channel id (which is what makes it retryable).
        channelMessageId:
          isCustomer || (status && status !== DeliveryStatus.FAILED) ? `sandbox.${newId('message', createdAt).slice(4)}` : null,
        clientMessageId: null,
        replyToId: null,
        statusHistory: history,
        lastStatusAt: history.length ? new Date(history[history.length - 1].at) : null,
        createdAt,
        updatedAt: createdAt,
      });
      if (isCustomer) countInboundMessage(conversation, message);
      messages.push(message);
      if (line.reaction) {
        const byCustomer = line.reaction.by === 'customer';
        em.create(Reaction, {
          tenantId: tenant.id,
          messageId: message.id,
          conversationId: conversation.id,
          actorType: byCustomer ? SenderType.CUSTOMER : SenderType.USER,
          actorId: byCustomer ? contact.id : agent.id,
          emoji: line.reaction.emoji,
          createdAt: new Date(createdAt.getTime() + 2 * MINUTE),
        });
      }
      // Notes move neither the preview nor the inbox order (as sendMessage does).
      if (content.kind !== ContentKind.NOTE) {
        conversation.lastActivityAt = createdAt;
        conversation.lastMessageAt = createdAt;
        conversation.lastMessageId = message.id;
        conversation.lastMessagePreview = previewOf(content);
        conversation.lastMessageSender = senderType;
      }
      if (isCustomer) conversation.lastInboundAt = createdAt;
      conversation.updatedAt = createdAt;
    }
    if (script.readAgo !== undefined && conversation.assigneeId) {
      const read = messages.filter((m) => m.createdAt.getTime() <= at(script.readAgo!).getTime()).pop();
      if (read)
        em.create(ReadMarker, {
          tenantId: tenant.id,
          conversationId: conversation.id,
          userId: conversation.assigneeId,
          lastReadMessageId: read.id,
          readInboundCount: messages.filter((m) => m.inboundSeq !== null && m.id <= read.id).length,
          updatedAt: read.createdAt,
        });
    }
    conversations.push(conversation);
  }
  await em.flush();
  return { tenant, owner, admin, agent, smsAgent, bot, whatsapp, sms, byChannel, conversations };
}

/** A plausible delivery history ending in `status`, a few seconds apart. */
function historyTo(status: DeliveryStatus, start: Date) {
  const path: DeliveryStatus[] =
    status === DeliveryStatus.FAILED
      ? [DeliveryStatus.PENDING, DeliveryStatus.FAILED]
      : [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ].slice(
          0,
          [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ].indexOf(status) + 1,
        );
  return path.map((s, i) => ({
    status: s,
    at: new Date(start.getTime() + i * 3000).toISOString(),
    ...(s === DeliveryStatus.FAILED ? { failureCode: 'rejected', failureReason: 'Recipient is not a WhatsApp user (sandbox)' } : {}),
  }));
}
