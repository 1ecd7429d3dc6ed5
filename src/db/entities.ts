import { SandboxCallback } from '../channels/sandbox/sandbox-callback.entity';
import { DomainEvent } from '../modules/event/event.entity';
import { IdempotencyRecord } from '../modules/idempotency/idempotency-record.entity';
import { Media } from '../modules/media/media.entity';
import { MediaUse } from '../modules/media/media-use.entity';
import { ProviderMedia } from '../modules/media/provider-media.entity';
import { OutboxEntry } from '../modules/delivery/outbox-entry.entity';
import { PendingStatus } from '../modules/delivery/pending-status.entity';
import { SendThrottle } from '../modules/delivery/send-throttle.entity';
import { WebhookReceipt } from '../modules/delivery/webhook-receipt.entity';
import { ApiToken } from '../modules/auth/api-token.entity';
import { Contact } from '../modules/contact/contact.entity';
import { ContactIdentity } from '../modules/contact/contact-identity.entity';
import { ConversationSession } from '../modules/conversation/conversation-session.entity';
import { Conversation } from '../modules/conversation/conversation.entity';
import { InboxMember } from '../modules/inbox/inbox-member.entity';
import { Inbox } from '../modules/inbox/inbox.entity';
import { Message } from '../modules/message/message.entity';
import { Reaction } from '../modules/reaction/reaction.entity';
import { ReactionOutbox } from '../modules/reaction/reaction-outbox.entity';
import { ReadMarker } from '../modules/read-marker/read-marker.entity';
import { Tenant } from '../modules/tenant/tenant.entity';
import { User } from '../modules/user/user.entity';

/** Every persisted entity. Listed explicitly: no filesystem discovery, works the same under tsc and SWC. */
export const ENTITIES = [
  Tenant,
  User,
  ApiToken,
  Inbox,
  InboxMember,
  Contact,
  ContactIdentity,
  Conversation,
  ConversationSession,
  Message,
  Reaction,
  ReadMarker,
  Media,
  MediaUse,
  ProviderMedia,
  IdempotencyRecord,
  DomainEvent,
  OutboxEntry,
  WebhookReceipt,
  PendingStatus,
  SendThrottle,
  SandboxCallback,
  ReactionOutbox,
];
