import { Errors } from '../../lib/errors';
import { exactlyOne } from '../../lib/one-of';
import { parseId, parseOptionalId } from '../../lib/parse-id';
import type { ChannelKind } from '../channel/channel-kind';
import { MAX_IDEMPOTENCY_KEY } from '../idempotency/idempotency.service';
import { ContentKind, type MediaKind } from './content-kind';
import type { CardAction, StoredContent, TemplateComponent, TemplateParameter } from './message-content';
import {
  CardActionKind,
  TemplateComponentKind,
  type MediaContentInput,
  type MessageContentInput,
  type RecipientInput,
  type SendMessageInput,
  type TemplateParameterInput,
} from './message.inputs';

/**
 * Turning a SendMessageInput into domain values: which one-of alternative was chosen, well-formed
 * ids, and the StoredContent to validate. Pure (uploads are passed in), BAD_USER_INPUT only.
 */

/** Where a send goes, as the client named it. */
export type RecipientRef =
  | { kind: 'conversation'; conversationId: string }
  | { kind: 'contact'; contactId: string; channel: ChannelKind | null }
  | { kind: 'channel'; inboxId: string; address: string };

/** What a referenced upload contributes to the stored content. */
export interface UploadedMedia {
  readonly mediaKind: MediaKind;
  readonly mimeType: string;
  readonly filename: string;
  readonly size: number;
}

/** The optional knobs of a send, checked. */
export interface SendOptions {
  inboxId: string | null;
  replyToMessageId: string | null;
  clientMessageId: string | null;
  idempotencyKey: string | null;
}

const COMPONENT_TYPE: Readonly<Record<TemplateComponentKind, TemplateComponent['type']>> = {
  [TemplateComponentKind.HEADER]: 'header',
  [TemplateComponentKind.BODY]: 'body',
  [TemplateComponentKind.BUTTON]: 'button',
};

const ACTION_TYPE: Readonly<Record<CardActionKind, CardAction['type']>> = {
  [CardActionKind.REPLY]: 'reply',
  [CardActionKind.LINK]: 'link',
  [CardActionKind.CALL]: 'call',
};

const MAX_CLIENT_MESSAGE_ID = 128;

/** The chosen recipient; BAD_USER_INPUT unless exactly one alternative is set and its ids are well-formed. */
export function parseRecipient(input: RecipientInput, base = 'input.recipient'): RecipientRef {
  const which = exactlyOne(base, input, ['conversation', 'contact', 'channel']);
  switch (which) {
    case 'conversation':
      return {
        kind: 'conversation',
        conversationId: parseId(`${base}.conversation.conversationId`, input.conversation!.conversationId, 'conversation'),
      };
    case 'contact':
      return {
        kind: 'contact',
        contactId: parseId(`${base}.contact.contactId`, input.contact!.contactId, 'contact'),
        channel: input.contact!.channel ?? null,
      };
    case 'channel': {
      const { inboxId, address } = input.channel!;
      if (address.trim() === '') throw Errors.field(`${base}.channel.address`, 'must not be empty.');
      return { kind: 'channel', inboxId: parseId(`${base}.channel.inboxId`, inboxId, 'inbox'), address };
    }
  }
}

/** The optional fields, checked for shape (existence is the service's business). */
export function parseSendOptions(input: SendMessageInput): SendOptions {
  const clientMessageId = input.clientMessageId ?? null;
  if (clientMessageId !== null && (clientMessageId.trim() === '' || clientMessageId.length > MAX_CLIENT_MESSAGE_ID)) {
    throw Errors.field('input.clientMessageId', `must be 1–${MAX_CLIENT_MESSAGE_ID} characters.`);
  }
  const idempotencyKey = input.idempotencyKey ?? null;
  if (idempotencyKey !== null && (idempotencyKey.trim() === '' || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
    throw Errors.field('input.idempotencyKey', `must be 1–${MAX_IDEMPOTENCY_KEY} characters.`);
  }
  return {
    inboxId: parseOptionalId('input.inboxId', input.inboxId, 'inbox') ?? null,
    replyToMessageId: parseOptionalId('input.replyToMessageId', input.replyToMessageId, 'message') ?? null,
    clientMessageId,
    idempotencyKey,
  };
}

/** Which content variant was chosen; BAD_USER_INPUT naming `input.content` unless exactly one. */
export function contentKindOf(input: MessageContentInput, base = 'input.content'): ContentKind {
  const which = exactlyOne(base, input, ['text', 'media', 'template', 'rich', 'note']);
  const kinds = {
    text: ContentKind.TEXT,
    media: ContentKind.MEDIA,
    template: ContentKind.TEMPLATE,
    rich: ContentKind.RICH,
    note: ContentKind.NOTE,
  };
  return kinds[which];
}

/**
 * Every upload the content refers to (media content and template media parameters), ids checked:
 * each id → the input field that first names it, so a refusal of that upload can name the field.
 */
export function referencedMedia(input: MessageContentInput, base = 'input.content'): ReadonlyMap<string, string> {
  const refs = new Map<string, string>();
  const add = (field: string, id: string) => {
    const parsed = parseId(field, id, 'media');
    if (!refs.has(parsed)) refs.set(parsed, field);
  };
  if (input.media?.mediaId != null) add(`${base}.media.mediaId`, input.media.mediaId);
  input.template?.components.forEach((c, i) =>
    c.parameters.forEach((p, j) => {
      if (p.media?.mediaId != null) add(`${base}.template.components[${i}].parameters[${j}].media.mediaId`, p.media.mediaId);
    }),
  );
  return refs;
}

/** The last path segment of a URL, as a display name for hosted files. */
function filenameOf(url: string): string | null {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : null;
  } catch {
    return null;
  }
}

function mediaContent(input: MediaContentInput, uploads: ReadonlyMap<string, UploadedMedia>, at: string): StoredContent {
  const which = exactlyOne(at, input, ['mediaId', 'url']);
  const caption = input.caption ?? null;
  if (which === 'url') {
    if (input.mediaKind == null) throw Errors.field(`${at}.mediaKind`, 'is required with url (the file is not fetched before sending).');
    return {
      kind: ContentKind.MEDIA,
      mediaKind: input.mediaKind,
      mediaId: null,
      url: input.url!,
      mimeType: null,
      filename: filenameOf(input.url!),
      caption,
    };
  }
  const upload = uploads.get(input.mediaId!);
  if (!upload) throw new Error(`upload ${input.mediaId} was not loaded`);
  return {
    kind: ContentKind.MEDIA,
    // The client may re-label an upload (a webp image sent as a sticker); the MIME check decides.
    mediaKind: input.mediaKind ?? upload.mediaKind,
    mediaId: input.mediaId!,
    url: null,
    mimeType: upload.mimeType,
    filename: upload.filename,
    caption,
  };
}

function templateParameter(input: TemplateParameterInput, at: string): TemplateParameter {
  const which = exactlyOne(at, input, ['text', 'currency', 'dateTime', 'media']);
  switch (which) {
    case 'text':
      return { type: 'text', text: input.text! };
    case 'currency': {
      const { fallbackValue, code, amount1000 } = input.currency!;
      return { type: 'currency', fallbackValue, code, amount1000 };
    }
    case 'dateTime':
      return { type: 'date_time', fallbackValue: input.dateTime!.fallbackValue, isoDateTime: input.dateTime!.isoDateTime ?? null };
    case 'media': {
      const { mediaKind, mediaId, url } = input.media!;
      return { type: 'media', mediaKind, mediaId: mediaId ?? null, url: url ?? null };
    }
  }
}

/**
 * The content as it will be stored, before channel validation. `uploads` must hold every id from
 * {@link referencedMediaIds}; uploaded files contribute their sniffed MIME type and filename.
 */
export function toStoredContent(
  input: MessageContentInput,
  uploads: ReadonlyMap<string, UploadedMedia>,
  base = 'input.content',
): StoredContent {
  switch (contentKindOf(input, base)) {
    case ContentKind.TEXT:
      return { kind: ContentKind.TEXT, body: input.text!.body };
    case ContentKind.NOTE:
      return { kind: ContentKind.NOTE, body: input.note!.body };
    case ContentKind.MEDIA:
      return mediaContent(input.media!, uploads, `${base}.media`);
    case ContentKind.TEMPLATE: {
      const t = input.template!;
      return {
        kind: ContentKind.TEMPLATE,
        name: t.name,
        language: t.language,
        components: (t.components ?? []).map((c, i) => ({
          type: COMPONENT_TYPE[c.type],
          subType: c.subType ?? null,
          index: c.index ?? null,
          parameters: c.parameters.map((p, j) => templateParameter(p, `${base}.template.components[${i}].parameters[${j}]`)),
        })),
      };
    }
    case ContentKind.RICH:
      return {
        kind: ContentKind.RICH,
        cards: input.rich!.cards.map((card) => ({
          header: card.header ? { title: card.header.title, mediaUrl: card.header.mediaUrl ?? null } : null,
          body: card.body ? { text: card.body.text } : null,
          footer: card.footer ? { text: card.footer.text } : null,
          actions: (card.actions ?? []).map((a) => ({ type: ACTION_TYPE[a.type], label: a.label, value: a.value })),
        })),
      };
  }
}
