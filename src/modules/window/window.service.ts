import type { Conversation } from '../conversation/conversation.entity';
import type { Inbox } from '../inbox/inbox.entity';
import { evaluateWindow, type WindowDecision } from './window.rules';
import { WindowActorKind } from './window.types';

/** The window of `conversation` for `actor` at `now`, using the inbox's per-inbox policy. */
export function windowFor(conversation: Conversation, inbox: Inbox, actor: WindowActorKind, now = new Date()): WindowDecision {
  return evaluateWindow({
    channel: conversation.channel,
    actor: actor === WindowActorKind.BOT ? 'bot' : 'user',
    lastInboundAt: conversation.lastInboundAt,
    now,
    policy: {
      hours: inbox.windowHours ?? undefined,
      humanAgentHours: inbox.humanAgentWindowHours ?? undefined,
    },
  });
}
