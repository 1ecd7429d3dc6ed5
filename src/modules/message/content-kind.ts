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
});

/** The kinds of media a message can carry; each has its own size limit per channel. */
export enum MediaKind {
  IMAGE = 'image',
  VIDEO = 'video',
  AUDIO = 'audio',
  DOCUMENT = 'document',
  STICKER = 'sticker',
}

registerEnumType(MediaKind, { name: 'MediaKind', description: 'What a media file is, decided from its bytes.' });
