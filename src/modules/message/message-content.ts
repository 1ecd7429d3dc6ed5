import type { MessageThread } from '../../channels/channel-adapter';
import { ContentKind, type MediaKind } from './content-kind';

/**
 * Message bodies as stored (one JSON column, discriminated by `kind`). The same shape is used for
 * every channel; adapters translate it to a provider's wire format.
 */
export type StoredContent = TextBody | MediaBody | TemplateBody | RichBody | NoteBody;

export interface TextBody {
  kind: ContentKind.TEXT;
  body: string;
  /** SMS only: how many segments the carrier will bill. */
  smsSegments?: number;
  /** Inbound email only: the subject and References the reply threads under (see SendContext.thread). */
  thread?: MessageThread | null;
}

export interface MediaBody {
  kind: ContentKind.MEDIA;
  mediaKind: MediaKind;
  /** Set for media uploaded to Switchboard. */
  mediaId?: string | null;
  /** Set for externally hosted media (https). */
  url?: string | null;
  mimeType?: string | null;
  filename?: string | null;
  caption?: string | null;
  /** Inbound only: why the customer's file could not be fetched or kept (too large, unknown type, provider error). */
  unavailable?: string | null;
  /** Inbound email only: as {@link TextBody.thread} (an attachment answers like its email). */
  thread?: MessageThread | null;
}

export type TemplateParameter =
  | { type: 'text'; text: string }
  | { type: 'currency'; fallbackValue: string; code: string; amount1000: number }
  | { type: 'date_time'; fallbackValue: string; isoDateTime?: string | null }
  | { type: 'media'; mediaKind: MediaKind; mediaId?: string | null; url?: string | null };

export interface TemplateComponent {
  type: 'header' | 'body' | 'button';
  /** Buttons: quick_reply | url; index of the button in the template. */
  subType?: string | null;
  index?: number | null;
  parameters: TemplateParameter[];
}

export interface TemplateBody {
  kind: ContentKind.TEMPLATE;
  name: string;
  language: string;
  components: TemplateComponent[];
}

export interface CardAction {
  type: 'reply' | 'link' | 'call';
  label: string;
  /** Reply payload, URL or phone number depending on `type`. */
  value: string;
}

export interface Card {
  header?: { title: string; mediaUrl?: string | null } | null;
  body?: { text: string } | null;
  footer?: { text: string } | null;
  actions: CardAction[];
}

export interface RichBody {
  kind: ContentKind.RICH;
  cards: Card[];
}

export interface NoteBody {
  kind: ContentKind.NOTE;
  body: string;
}

/** A one-line plain-text preview, as the inbox list shows it. */
export function previewOf(content: StoredContent, max = 140): string {
  let text: string;
  switch (content.kind) {
    case ContentKind.TEXT:
    case ContentKind.NOTE:
      text = content.body;
      break;
    case ContentKind.MEDIA:
      text = content.caption || content.filename || `[${content.mediaKind}]`;
      break;
    case ContentKind.TEMPLATE:
      text = content.name;
      break;
    case ContentKind.RICH:
      text = content.cards[0]?.header?.title ?? content.cards[0]?.body?.text ?? '[card]';
      break;
  }
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
