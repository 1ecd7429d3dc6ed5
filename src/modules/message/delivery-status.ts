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
});
