import type { EntityManager } from '@mikro-orm/core';
import { ChannelKind } from '../../src/modules/channel/channel-kind';
import { Inbox } from '../../src/modules/inbox/inbox.entity';

/**
 * Creates (persists, not flushes) a WhatsApp Cloud API inbox with plain `providerConfig`, as an
 * install made before secrets were sealed would have it; adapters read such settings as they are.
 */
export function createWhatsAppCloudInbox(em: EntityManager, tenantId: string, providerConfig: Record<string, unknown>): Inbox {
  return em.create(Inbox, {
    tenantId,
    name: 'WhatsApp (Cloud API)',
    channel: ChannelKind.WHATSAPP,
    provider: 'whatsapp_cloud',
    senderAddress: '+14155550111',
    windowHours: null,
    humanAgentWindowHours: null,
    providerConfig,
    createdAt: new Date(),
  });
}

/**
 * Creates (persists, not flushes) a second sandbox WhatsApp inbox, "WhatsApp Sales", in the
 * workspace: the owner sees it, an agent who is not a member does not.
 */
export function createSalesInbox(em: EntityManager, tenantId: string): Inbox {
  return em.create(Inbox, {
    tenantId,
    name: 'WhatsApp Sales',
    channel: ChannelKind.WHATSAPP,
    provider: 'sandbox',
    senderAddress: '+14155550101',
    windowHours: null,
    humanAgentWindowHours: null,
    providerConfig: { latencyMs: 300, failureRate: 0 },
    createdAt: new Date(),
  });
}
