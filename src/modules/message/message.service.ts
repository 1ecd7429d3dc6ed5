import type { EntityManager } from '@mikro-orm/core';
import type { AppDeps } from '../../graphql/context';
import { AppError, ErrorCode, Errors } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { Viewer } from '../auth/viewer';
import { ConversationStatus } from '../conversation/conversation-status';
import { openSession } from '../conversation/conversation-session.service';
import { Conversation } from '../conversation/conversation.entity';
import { conversationQueueTime, enqueueDelivery } from '../delivery/outbox.service';
import type { DomainEvent } from '../event/event.entity';
import { EventType } from '../event/event-type';
import { publishEvents } from '../event/event.publisher';
import { appendEvent } from '../event/event.service';
import {
  findIdempotentResult,
  rememberIdempotentResult,
  requestHash,
  retryOnUniqueViolation,
  type IdempotencyKeyRef,
} from '../idempotency/idempotency.service';
import { Media } from '../media/media.entity';
import { windowFor } from '../window/window.service';
import type { WindowDecision } from '../window/window.rules';
import { ContentKind } from './content-kind';
import { validateContent, type MediaFacts } from './content.rules';
import { DeliveryStatus } from './delivery-status';
import { previewOf } from './message-content';
import { mayViewMedia, mediaUsesOf, recordMediaUse } from '../media/media-visibility';
import { Message } from './message.entity';
import type { SendMessageInput } from './message.inputs';
import { resolveRecipient } from './recipient.service';
import { MessageDirection } from './sender-type';
import {
  contentKindOf,
  parseRecipient,
  parseSendOptions,
  referencedMedia,
  toStoredContent,
  type RecipientRef,
  type SendOptions,
  type UploadedMedia,
} from './send-message.parse';
import { assertInboxSends } from '../inbox/inbox-archive';
import { isOptedOut, optedOutError } from '../contact/contact-opt-out';

/** The idempotency operation name of sends. */
export const SEND_MESSAGE_OPERATION = 'sendMessage';

/** What a send produced (or, for a repeated idempotency key, what the first send produced). */
export interface SendMessageResult {
  message: Message;
  /** The conversation as it is now, so clients can update their cache. */
  conversation: Conversation;
  /** True when an idempotency key replayed an earlier send: nothing was written or published. */
  replayed: boolean;
}

interface ParsedSend {
  recipient: RecipientRef;
  options: SendOptions;
  /** Upload id → the input field naming it. */
  media: ReadonlyMap<string, string>;
  idempotency: { ref: IdempotencyKeyRef; hash: string } | null;
}

interface TransactionOutcome extends SendMessageResult {
  events: DomainEvent[];
}

/** GraphQL enum names (what clients compare against) of internal enum values. */
const enumName = (value: string) => value.toUpperCase();

/** WINDOW_CLOSED with what can still be sent, so the composer can offer it. */
function windowClosed(decision: WindowDecision): AppError {
  const allowed = decision.allowedContent.map(enumName);
  return new AppError(
    ErrorCode.WINDOW_CLOSED,
    `Free-form messages cannot be sent now (${enumName(decision.reason)}); allowed: ${allowed.join(', ') || 'nothing'}.`,
    { reason: enumName(decision.reason), allowedContent: allowed, expiresAt: decision.expiresAt?.toISOString() ?? null },
  );
}

/**
 * The uploads a send refers to, by id. An upload the viewer may not see (another tenant's, or one
 * used only in inboxes they are not a member of: see {@link mayViewMedia}) is NOT_FOUND naming its
 * field, exactly like an id that does not exist; otherwise sending it into their own inbox would
 * make it theirs to see.
 */
async function loadUploads(
  em: EntityManager,
  viewer: Viewer,
  refs: ReadonlyMap<string, string>,
): Promise<Map<string, UploadedMedia & MediaFacts>> {
  if (refs.size === 0) return new Map();
  const ids = [...refs.keys()];
  const rows = await em.find(Media, { id: { $in: ids }, tenantId: viewer.tenantId });
  // Whose use decides only matters for what the viewer did not upload and cannot see anyway.
  const needUses = rows.filter((m) => !mayViewMedia(viewer, m, [])).map((m) => m.id);
  const uses = await mediaUsesOf(em, needUses);
  const byId = new Map(
    rows
      .filter((m) => mayViewMedia(viewer, m, uses.get(m.id) ?? []))
      .map((m) => [m.id, { mediaKind: m.mediaKind, mimeType: m.mimeType, filename: m.filename, size: Number(m.size) }] as const),
  );
  const missing = ids.find((id) => !byId.has(id));
  if (missing) {
    const { message, details } = Errors.notFound('Media', missing);
    throw new AppError(ErrorCode.NOT_FOUND, message, { ...details, fields: [{ field: refs.get(missing)!, message }] });
  }
  return byId;
}

/** The original message of a repeated idempotency key, as the viewer may see it. */
async function replay(em: EntityManager, viewer: Viewer, messageId: string): Promise<TransactionOutcome> {
  const message = await em.findOne(Message, { id: messageId, tenantId: viewer.tenantId });
  if (!message || !viewer.canSeeInbox(message.tenantId, message.inboxId)) throw Errors.notFound('Message', messageId);
  const conversation = await em.findOneOrFail(Conversation, { id: message.conversationId, tenantId: viewer.tenantId });
  return { message, conversation, replayed: true, events: [] };
}

async function sendInTransaction(
  tx: EntityManager,
  viewer: Viewer,
  input: SendMessageInput,
  parsed: ParsedSend,
): Promise<TransactionOutcome> {
  const now = new Date();
  const { options, idempotency } = parsed;
  const messageId = newId('message');
  if (idempotency) {
    const original = await findIdempotentResult(tx, idempotency.ref, idempotency.hash, now);
    if (original) return replay(tx, viewer, original);
    // Reserve the key before anything else: a concurrent duplicate blocks (PostgreSQL) or fails
    // here on the unique index instead of doing the whole send, and its retry replays ours.
    await rememberIdempotentResult(tx, idempotency.ref, idempotency.hash, messageId, { now });
    await tx.flush();
  }

  const uploads = await loadUploads(tx, viewer, parsed.media);
  const draft = toStoredContent(input.content, uploads);
  const { conversation, inbox, created } = await resolveRecipient(tx, viewer, parsed.recipient, { inboxId: options.inboxId, now });
  assertInboxSends(inbox);
  const content = validateContent(inbox.channel, draft, uploads);

  const actorKind = viewer.windowActor;
  const window = windowFor(conversation, inbox, actorKind, now);
  if (!window.allowedContent.includes(content.kind)) throw windowClosed(window);
  if (content.kind !== ContentKind.NOTE && (await isOptedOut(tx, viewer.tenantId, conversation.contactId, conversation.channel)))
    throw optedOutError(conversation.channel, conversation.contactId);

  if (options.replyToMessageId) {
    const quoted = created
      ? null
      : await tx.findOne(Message, { id: options.replyToMessageId, tenantId: viewer.tenantId, conversationId: conversation.id });
    if (!quoted) throw Errors.field('input.replyToMessageId', 'must be a message of the same conversation.');
  }

  // Everything below writes; nothing below refuses.
  const outbound = content.kind !== ContentKind.NOTE;
  const actor = { actorType: viewer.senderType, actorId: viewer.userId };
  const causationId = options.clientMessageId ?? options.idempotencyKey;
  const scope = { tenantId: viewer.tenantId, inboxId: conversation.inboxId, conversationId: conversation.id, ...actor, causationId };
  const events: DomainEvent[] = [];

  if (created) {
    events.push(
      await appendEvent(tx, {
        ...scope,
        type: EventType.CONVERSATION_CREATED,
        payload: { contactId: conversation.contactId, channel: conversation.channel },
      }),
    );
  } else if (outbound && conversation.status === ConversationStatus.CLOSED) {
    // Writing to the customer resumes the thread; a note is bookkeeping and leaves it closed.
    const session = openSession(tx, conversation, inbox.id, now);
    events.push(await appendEvent(tx, { ...scope, type: EventType.CONVERSATION_REOPENED, payload: { sessionId: session.id } }));
  }

  const message = tx.create(Message, {
    id: messageId,
    tenantId: viewer.tenantId,
    conversationId: conversation.id,
    inboxId: inbox.id,
    sessionId: conversation.currentSessionId,
    direction: outbound ? MessageDirection.OUTBOUND : MessageDirection.INTERNAL,
    senderType: viewer.senderType,
    senderUserId: viewer.userId,
    contentKind: content.kind,
    content,
    deliveryStatus: outbound ? DeliveryStatus.PENDING : null,
    failureCode: null,
    failureReason: null,
    channelMessageId: null,
    clientMessageId: options.clientMessageId,
    replyToId: options.replyToMessageId,
    statusHistory: outbound ? [{ status: DeliveryStatus.PENDING, at: now.toISOString() }] : [],
    lastStatusAt: outbound ? now : null,
    createdAt: now,
    updatedAt: now,
  });
  // Media follows the messages that use it: agents of this inbox may now see these uploads.
  await recordMediaUse(tx, viewer.tenantId, inbox.id, [...parsed.media.keys()], now);

  if (outbound) {
    // Notes move neither the preview nor the inbox order: the list reflects what the customer
    // and the team exchanged, and annotating an old thread must not push it above waiting ones.
    // The conversation was re-read under its lock, so concurrent sends apply these one after the
    // other; the id was drawn before that wait, so a send that got the lock late must not put an
    // older message back in front (the conversation view orders by id).
    if (now > conversation.lastActivityAt) conversation.lastActivityAt = now;
    if (!conversation.lastMessageId || message.id > conversation.lastMessageId) {
      conversation.lastMessageAt = now;
      conversation.lastMessageId = message.id;
      conversation.lastMessagePreview = previewOf(content);
      conversation.lastMessageSender = viewer.senderType;
    }
    // The queue time, unlike the id and `now`, is taken under the conversation's lock: commit order is send order.
    enqueueDelivery(tx, message, now, created ? now : await conversationQueueTime(tx, conversation.id));
  }

  events.push(
    await appendEvent(tx, {
      ...scope,
      type: EventType.MESSAGE_ADDED,
      messageId: message.id,
      payload: { direction: message.direction, contentKind: content.kind },
    }),
  );
  return { message, conversation, replayed: false, events };
}

/**
 * Sends a message (or stores an internal note) on behalf of `viewer`: resolves the recipient
 * (conversation, contact or raw channel address), validates the content for the channel and the
 * window for the viewer's actor kind, then in ONE transaction writes the message, the
 * conversation's denormalised last-message columns, a reopened session when a closed thread is
 * written to, the outbox entry the delivery worker picks up, the idempotency record and the
 * events; events are published after commit, then the delivery worker is woken.
 *
 * Errors (nothing is written): BAD_USER_INPUT (malformed input, ambiguous contact route),
 * NOT_FOUND (conversation, inbox, contact, media or replayed message the viewer cannot see),
 * UNSUPPORTED_CONTENT, WINDOW_CLOSED (`extensions: { reason, allowedContent, expiresAt }`),
 * OPTED_OUT (the customer replied STOP on this channel), IDEMPOTENCY_CONFLICT.
 *
 * Idempotency: the key is scoped to the tenant; the request hash covers the whole input except
 * the key, plus the sending user (another user's identical request is a different request).
 */
export async function sendMessage(
  deps: Pick<AppDeps, 'pubsub' | 'delivery'>,
  em: EntityManager,
  viewer: Viewer,
  input: SendMessageInput,
): Promise<SendMessageResult> {
  // Shape checks first: malformed input costs no database work.
  const recipient = parseRecipient(input.recipient);
  const options = parseSendOptions(input);
  contentKindOf(input.content);
  const media = referencedMedia(input.content);
  const { idempotencyKey: _key, ...request } = input;
  const idempotency = options.idempotencyKey
    ? {
        ref: { tenantId: viewer.tenantId, operation: SEND_MESSAGE_OPERATION, key: options.idempotencyKey },
        hash: requestHash({ userId: viewer.userId, input: request }),
      }
    : null;
  const parsed: ParsedSend = { recipient, options, media, idempotency };

  const outcome = await retryOnUniqueViolation(() => em.fork().transactional((tx) => sendInTransaction(tx, viewer, input, parsed)));
  await publishEvents(deps.pubsub, outcome.events);
  // Wake the delivery worker now rather than at its next poll; replays and notes queue nothing.
  if (!outcome.replayed && outcome.message.direction === MessageDirection.OUTBOUND) deps.delivery.notify();
  return { message: outcome.message, conversation: outcome.conversation, replayed: outcome.replayed };
}
