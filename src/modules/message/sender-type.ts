import { registerEnumType } from 'type-graphql';

/** Who wrote a message (or reacted): a teammate, the customer, an automation, or the system itself. */
export enum SenderType {
  USER = 'user',
  CUSTOMER = 'customer',
  BOT = 'bot',
  SYSTEM = 'system',
}

registerEnumType(SenderType, { name: 'SenderType', description: 'Who wrote a message: USER (teammate), CUSTOMER, BOT or SYSTEM.' });

/** Which way a message travels: to the customer, from the customer, or nowhere (internal notes). */
export enum MessageDirection {
  INBOUND = 'inbound',
  OUTBOUND = 'outbound',
  INTERNAL = 'internal',
}

registerEnumType(MessageDirection, {
  name: 'MessageDirection',
  description: 'INBOUND from the customer, OUTBOUND to the customer, INTERNAL (notes) never leaves the workspace.',
});
