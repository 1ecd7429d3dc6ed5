import { registerEnumType } from 'type-graphql';

/** The variant of a message's content. One Message model carries every variant on every channel. */
export enum ContentKind {
  TEXT = 'text',
  MEDIA = 'media',
  TEMPLATE = 'template',
  RICH = 'rich',
  NOTE = 'note',
}

registerEnumType(ContentKind, {
  name: 'ContentKind',
  description: 'The variant of a message body: free-form text, media, a pre-approved template, rich cards, or an internal note.',
  valuesConfig: {
    TEXT: { description: 'Plain text (TextContent).' },
    MEDIA: { description: 'A file with an optional caption (MediaContent).' },
    TEMPLATE: { description: 'A pre-approved template, the only free-standing send outside the window (TemplateContent).' },
    RICH: { description: 'Cards with buttons (RichContent).' },
    NOTE: { description: 'An internal note, never sent to the customer (NoteContent).' },
  },
});

/** The kinds of media a message can carry; each has its own size limit per channel. */
export enum MediaKind {
  IMAGE = 'image',
  VIDEO = 'video',
  AUDIO = 'audio',
  DOCUMENT = 'document',
  STICKER = 'sticker',
}

registerEnumType(MediaKind, {
  name: 'MediaKind',
  description: 'What a media file is, decided from its bytes.',
  valuesConfig: {
    IMAGE: { description: 'A picture (JPEG, PNG, GIF, WebP… depending on the channel).' },
    VIDEO: { description: 'A video clip (MP4 and others depending on the channel).' },
    AUDIO: { description: 'A sound file or voice note.' },
    DOCUMENT: { description: 'Any other file sent as an attachment (PDF, office documents…).' },
    STICKER: { description: 'A WebP sticker (WhatsApp).' },
  },
});
