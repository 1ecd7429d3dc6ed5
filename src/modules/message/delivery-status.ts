import { registerEnumType } from 'type-graphql';

/** Where an outbound message is on its way to the customer. */
export enum DeliveryStatus {
  PENDING = 'pending',
  SENT = 'sent',
  DELIVERED = 'delivered',
  READ = 'read',
  FAILED = 'failed',
}

registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  description: 'Delivery progress of an outbound message: PENDING → SENT → DELIVERED → READ, or FAILED with a reason.',
  valuesConfig: {
    PENDING: { description: 'Accepted by Switchboard, not yet accepted by the provider (queued or being retried).' },
    SENT: { description: 'The provider accepted it.' },
    DELIVERED: { description: "It reached the customer's device." },
    READ: { description: 'The customer read it (only on channels with read receipts).' },
    FAILED: { description: 'It will not be delivered; `failure` says why. A message the provider never accepted can be retried.' },
  },
});
