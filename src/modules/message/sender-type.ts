import { registerEnumType } from 'type-graphql';

/** Who wrote a message (or reacted): a teammate, the customer, an automation, or the system itself. */
export enum SenderType {
  USER = 'user',
  CUSTOMER = 'customer',
  BOT = 'bot',
  SYSTEM = 'system',
}

registerEnumType(SenderType, {
  name: 'SenderType',
  description: 'Who wrote a message: USER (teammate), CUSTOMER, BOT or SYSTEM.',
  valuesConfig: {
    USER: { description: 'A human teammate (a User with `bot: false`).' },
    CUSTOMER: { description: 'The customer (a Contact), on their channel.' },
    BOT: { description: 'An automation (a User with `bot: true`).' },
    SYSTEM: { description: 'Switchboard itself or the provider: timers, delivery updates, nobody in particular.' },
  },
});

/** Which way a message travels: to the customer, from the customer, or nowhere (internal notes). */
export enum MessageDirection {
  INBOUND = 'inbound',
  OUTBOUND = 'outbound',
  INTERNAL = 'internal',
}

registerEnumType(MessageDirection, {
  name: 'MessageDirection',
  description: 'INBOUND from the customer, OUTBOUND to the customer, INTERNAL (notes) never leaves the workspace.',
  valuesConfig: {
    INBOUND: { description: 'Written by the customer and received through the provider.' },
    OUTBOUND: { description: 'Sent to the customer; has a delivery status.' },
    INTERNAL: { description: 'An internal note: shown to teammates, never sent; no delivery status.' },
  },
});
