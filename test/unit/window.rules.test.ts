import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CHANNEL_KINDS, ChannelKind } from '../../src/modules/channel/channel-kind';
import { ContentKind } from '../../src/modules/message/content-kind';
import { ALL_WINDOW_ACTORS, WindowInput, WindowReason, evaluateWindow, nextWindowChange } from '../../src/modules/window/window.rules';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = new Date('2026-04-30T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const { TEXT, MEDIA, TEMPLATE, RICH, NOTE } = ContentKind;

function input(overrides: Partial<WindowInput> & Pick<WindowInput, 'channel'>): WindowInput {
  return { actor: 'user', lastInboundAt: T0, now: T0, ...overrides };
}

describe('evaluateWindow: 24 h boundary on WhatsApp', () => {
  test('1 ms before 24 h: open, expires at exactly 24 h', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.WHATSAPP, now: at(DAY - 1) }));
    assert.deepEqual(decision, {
      canSend: true,
      reason: WindowReason.OPEN,
      expiresAt: at(DAY),
      allowedContent: [TEXT, MEDIA, TEMPLATE, NOTE],
    });
  });

  test('at exactly 24 h: shut (expiry is exclusive)', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.WHATSAPP, now: at(DAY) }));
    assert.deepEqual(decision, {
      canSend: false,
      reason: WindowReason.EXPIRED,
      expiresAt: null,
      allowedContent: [TEMPLATE, NOTE],
    });
  });

  test('1 ms after 24 h: shut', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.WHATSAPP, now: at(DAY + 1) }));
    assert.equal(decision.reason, WindowReason.EXPIRED);
    assert.equal(decision.canSend, false);
  });

  test('a user gets no extension on WhatsApp', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.WHATSAPP, actor: 'user', now: at(3 * DAY) }));
    assert.equal(decision.reason, WindowReason.EXPIRED);
  });

  test('customer message timestamp slightly ahead of our clock still counts as open', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.WHATSAPP, now: at(-1000) }));
    assert.equal(decision.reason, WindowReason.OPEN);
    assert.deepEqual(decision.expiresAt, at(DAY));
  });
});

describe('evaluateWindow: human-agent extension on Messenger', () => {
  test('at 3 days a human user may still send, until 7 days after the last inbound', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.MESSENGER, actor: 'user', now: at(3 * DAY) }));
    assert.deepEqual(decision, {
      canSend: true,
      reason: WindowReason.HUMAN_AGENT_EXTENSION,
      expiresAt: at(7 * DAY),
      allowedContent: [TEXT, MEDIA, RICH, NOTE],
    });
  });

  test('at 3 days a bot may not', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.MESSENGER, actor: 'bot', now: at(3 * DAY) }));
    assert.deepEqual(decision, {
      canSend: false,
      reason: WindowReason.EXPIRED,
      expiresAt: null,
      allowedContent: [NOTE],
    });
  });

  test('inside 24 h a user sees the end of the extension, a bot the end of the standard window', () => {
    const user = evaluateWindow(input({ channel: ChannelKind.MESSENGER, actor: 'user', now: at(HOUR) }));
    const bot = evaluateWindow(input({ channel: ChannelKind.MESSENGER, actor: 'bot', now: at(HOUR) }));
    assert.equal(user.reason, WindowReason.OPEN);
    assert.deepEqual(user.expiresAt, at(7 * DAY));
    assert.equal(bot.reason, WindowReason.OPEN);
    assert.deepEqual(bot.expiresAt, at(DAY));
  });

  test('extension boundary: 1 ms before 168 h open, at 168 h expired', () => {
    const before = evaluateWindow(input({ channel: ChannelKind.INSTAGRAM, now: at(7 * DAY - 1) }));
    const atEnd = evaluateWindow(input({ channel: ChannelKind.INSTAGRAM, now: at(7 * DAY) }));
    assert.equal(before.reason, WindowReason.HUMAN_AGENT_EXTENSION);
    assert.equal(atEnd.reason, WindowReason.EXPIRED);
    assert.equal(atEnd.canSend, false);
  });
});

describe('evaluateWindow: customer never wrote', () => {
  test('WhatsApp: business-initiated, templates and notes only', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.WHATSAPP, lastInboundAt: null }));
    assert.deepEqual(decision, {
      canSend: false,
      reason: WindowReason.NO_CUSTOMER_MESSAGE,
      expiresAt: null,
      allowedContent: [TEMPLATE, NOTE],
    });
  });

  test('Instagram: no templates, so notes only', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.INSTAGRAM, lastInboundAt: null }));
    assert.equal(decision.reason, WindowReason.NO_CUSTOMER_MESSAGE);
    assert.deepEqual(decision.allowedContent, [NOTE]);
  });

  test('SMS has no window, so a first outbound message is free-form', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.SMS, lastInboundAt: null }));
    assert.deepEqual(decision, {
      canSend: true,
      reason: WindowReason.NO_WINDOW,
      expiresAt: null,
      allowedContent: [TEXT, MEDIA, NOTE],
    });
  });
});

describe('evaluateWindow: every channel kind', () => {
  // Independent expectation: which channels have a window, and how long it lasts per actor.
  const windowHours: Record<ChannelKind, { user: number; bot: number } | null> = {
    [ChannelKind.WHATSAPP]: { user: 24, bot: 24 },
    [ChannelKind.INSTAGRAM]: { user: 168, bot: 24 },
    [ChannelKind.MESSENGER]: { user: 168, bot: 24 },
    [ChannelKind.SMS]: null,
    [ChannelKind.EMAIL]: null,
    [ChannelKind.WEBCHAT]: null,
    [ChannelKind.TELEGRAM]: null,
  };

  for (const channel of ALL_CHANNEL_KINDS) {
    for (const actor of ALL_WINDOW_ACTORS) {
      test(`${channel} / ${actor}`, () => {
        const hours = windowHours[channel];
        for (const now of [at(0), at(23 * HOUR), at(30 * HOUR), at(200 * HOUR)]) {
          for (const lastInboundAt of [T0, null]) {
            const decision = evaluateWindow({ channel, actor, lastInboundAt, now });
            assert.ok(decision.allowedContent.includes(NOTE), 'notes are always allowed');
            if (hours === null) {
              assert.equal(decision.reason, WindowReason.NO_WINDOW);
              assert.equal(decision.canSend, true);
              assert.equal(decision.expiresAt, null);
              assert.ok(decision.allowedContent.includes(TEXT));
              continue;
            }
            const limit = hours[actor] * HOUR;
            const open = lastInboundAt !== null && now.getTime() - T0.getTime() < limit;
            assert.equal(decision.canSend, open, `${now.toISOString()} inbound=${lastInboundAt !== null}`);
            assert.deepEqual(decision.expiresAt, open ? at(limit) : null);
            const elapsed = now.getTime() - T0.getTime();
            const expectedReason =
              lastInboundAt === null
                ? WindowReason.NO_CUSTOMER_MESSAGE
                : !open
                  ? WindowReason.EXPIRED
                  : elapsed < 24 * HOUR
                    ? WindowReason.OPEN
                    : WindowReason.HUMAN_AGENT_EXTENSION;
            assert.equal(decision.reason, expectedReason);
            assert.equal(decision.allowedContent.includes(TEXT), open);
            assert.equal(decision.allowedContent.includes(MEDIA), open);
            assert.equal(decision.allowedContent.includes(TEMPLATE), channel === ChannelKind.WHATSAPP);
          }
        }
      });
    }
  }
});

describe('evaluateWindow: per-inbox policy', () => {
  test('a shorter standard window shuts earlier', () => {
    const policy = { hours: 23 };
    assert.equal(evaluateWindow(input({ channel: ChannelKind.WHATSAPP, now: at(23 * HOUR - 1), policy })).reason, WindowReason.OPEN);
    const shut = evaluateWindow(input({ channel: ChannelKind.WHATSAPP, now: at(23 * HOUR), policy }));
    assert.equal(shut.reason, WindowReason.EXPIRED);
    assert.deepEqual(evaluateWindow(input({ channel: ChannelKind.WHATSAPP, now: at(HOUR), policy })).expiresAt, at(23 * HOUR));
  });

  test('humanAgentHours 0 disables the extension for users', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.MESSENGER, now: at(3 * DAY), policy: { humanAgentHours: 0 } }));
    assert.equal(decision.reason, WindowReason.EXPIRED);
  });

  test('a different extension length is honoured, keeping the channel default for hours', () => {
    const policy = { humanAgentHours: 48 };
    const inside = evaluateWindow(input({ channel: ChannelKind.INSTAGRAM, now: at(30 * HOUR), policy }));
    assert.equal(inside.reason, WindowReason.HUMAN_AGENT_EXTENSION);
    assert.deepEqual(inside.expiresAt, at(48 * HOUR));
    assert.equal(evaluateWindow(input({ channel: ChannelKind.INSTAGRAM, now: at(48 * HOUR), policy })).reason, WindowReason.EXPIRED);
  });

  test('a policy cannot put a window on a channel without one', () => {
    const decision = evaluateWindow(input({ channel: ChannelKind.SMS, now: at(10 * DAY), policy: { hours: 1 } }));
    assert.equal(decision.reason, WindowReason.NO_WINDOW);
  });

  test('nonsense hours are refused', () => {
    assert.throws(() => evaluateWindow(input({ channel: ChannelKind.WHATSAPP, policy: { hours: -1 } })), RangeError);
    assert.throws(() => evaluateWindow(input({ channel: ChannelKind.SMS, policy: { humanAgentHours: Number.NaN } })), RangeError);
  });
});

describe('nextWindowChange', () => {
  test('user on Messenger: end of standard window, then end of extension, then nothing', () => {
    const base = input({ channel: ChannelKind.MESSENGER, actor: 'user' });
    assert.deepEqual(nextWindowChange({ ...base, now: at(HOUR) }), at(DAY));
    assert.deepEqual(nextWindowChange({ ...base, now: at(DAY) }), at(7 * DAY));
    assert.equal(nextWindowChange({ ...base, now: at(7 * DAY) }), null);
  });

  test('bot on Messenger: end of standard window only', () => {
    const base = input({ channel: ChannelKind.MESSENGER, actor: 'bot' });
    assert.deepEqual(nextWindowChange({ ...base, now: at(HOUR) }), at(DAY));
    assert.equal(nextWindowChange({ ...base, now: at(DAY) }), null);
  });

  test('the decision really does change at that instant and not 1 ms before', () => {
    const base = input({ channel: ChannelKind.WHATSAPP, now: at(5 * HOUR) });
    const change = nextWindowChange(base);
    assert.ok(change);
    const before = evaluateWindow({ ...base, now: new Date(change.getTime() - 1) });
    const after = evaluateWindow({ ...base, now: change });
    assert.deepEqual(before, evaluateWindow(base));
    assert.notDeepEqual(after, before);
  });

  test('no window, no inbound: nothing scheduled', () => {
    assert.equal(nextWindowChange(input({ channel: ChannelKind.EMAIL })), null);
    assert.equal(nextWindowChange(input({ channel: ChannelKind.WHATSAPP, lastInboundAt: null })), null);
  });
});
