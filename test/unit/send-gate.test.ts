import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryStatus } from '../../src/modules/message/delivery-status';
import { OutboxState } from '../../src/modules/delivery/outbox-entry.entity';
import { sendBlocker } from '../../src/modules/delivery/send-gate';

const pending = { deliveryStatus: DeliveryStatus.PENDING, channelMessageId: null };
const claimed = { state: OutboxState.PENDING, attempts: 2 };

test('a resend goes out only while the claim holds and nothing has reported the message', () => {
  assert.equal(sendBlocker(pending, claimed, 2), null);
  assert.match(sendBlocker({ ...pending, channelMessageId: 'wamid.A' }, claimed, 2) ?? '', /reported copy wamid\.A/);
  assert.match(sendBlocker(pending, { ...claimed, state: OutboxState.DONE }, 2) ?? '', /settled meanwhile/);
  assert.match(sendBlocker(pending, { ...claimed, state: OutboxState.FAILED }, 2) ?? '', /failed meanwhile/);
  assert.match(sendBlocker(pending, { ...claimed, attempts: 3 }, 2) ?? '', /attempt 3 took the entry over/);
  assert.match(sendBlocker(null, claimed, 2) ?? '', /message no longer exists/);
  assert.match(sendBlocker(pending, null, 2) ?? '', /outbox entry no longer exists/);
  for (const status of [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.FAILED]) {
    assert.match(sendBlocker({ ...pending, deliveryStatus: status }, claimed, 2) ?? '', new RegExp(`already ${status}`));
  }
});
