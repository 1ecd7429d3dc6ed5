import { ConversationStatus } from '../../src/modules/conversation/conversation-status';
import type { DemoWorkspace } from '../../src/seed/demo';

/**
 * One send per open demo conversation that the window allows at any time: a template on WhatsApp
 * (allowed outside the 24 h window), text on SMS. As `sendMessage` inputs minus the idempotency key.
 */
export function openConversationSends(demo: Pick<DemoWorkspace, 'conversations' | 'whatsapp'>) {
  return demo.conversations
    .filter((c) => c.status === ConversationStatus.OPEN)
    .map((c) => ({
      conversationId: c.id,
      content:
        c.inboxId === demo.whatsapp.id
          ? { template: { name: 'order_ready', language: 'en', components: [{ type: 'BODY', parameters: [{ text: '4827' }] }] } }
          : { text: { body: 'Your order is ready' } },
    }));
}
