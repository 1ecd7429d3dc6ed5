import type { Conversation } from '../conversation/conversation.entity';
import type { Message } from './message.entity';

/**
 * Numbers a new customer message within its conversation (call with the conversation row locked,
 * in the message's transaction): the conversation's count goes up by one and the message keeps
 * the new value, which read markers copy so unread counts are a subtraction.
 */
export function countInboundMessage(conversation: Pick<Conversation, 'inboundCount'>, message: Pick<Message, 'inboundSeq'>): void {
  conversation.inboundCount += 1;
  message.inboundSeq = conversation.inboundCount;
}

/** Unread customer messages for a teammate whose marker has counted `readInboundCount` of them (never negative). */
export function unreadFrom(conversation: Pick<Conversation, 'inboundCount'>, readInboundCount: number | null | undefined): number {
  return Math.max(0, conversation.inboundCount - (readInboundCount ?? 0));
}
