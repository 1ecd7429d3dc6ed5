import { createUnionType, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ContentKind, MediaKind } from './content-kind';
import type { StoredContent } from './message-content';
import { CardActionKind, TemplateComponentKind } from './message.inputs';

/** Which value a template parameter carries. Values are the stored (WhatsApp) spellings. */
export enum TemplateParameterKind {
  TEXT = 'text',
  CURRENCY = 'currency',
  DATE_TIME = 'date_time',
  MEDIA = 'media',
}

registerEnumType(TemplateParameterKind, {
  name: 'TemplateParameterKind',
  description: 'Which value a template parameter carries: TEXT, CURRENCY, DATE_TIME or MEDIA.',
  valuesConfig: {
    TEXT: { description: 'Plain text, in `text`.' },
    CURRENCY: { description: 'An amount of money: `code` (ISO 4217), `amount1000` and `fallbackValue`.' },
    DATE_TIME: { description: 'A date and time: `isoDateTime` when given, and `fallbackValue`.' },
    MEDIA: { description: 'A header file: `mediaKind`, and `mediaId` or `url`.' },
  },
});

@ObjectType('TextContent', { description: 'Plain text.' })
export class TextContentType {
  @Field({ description: 'The text as sent or received.' })
  body!: string;

  @Field(() => Int, { nullable: true, description: 'SMS only: billed segments.' })
  smsSegments?: number | null;
}

@ObjectType('NoteContent', { description: 'An internal note: stored and shown to teammates, never sent to the customer.' })
export class NoteContentType {
  @Field({ description: 'The note text.' })
  body!: string;
}

@ObjectType('MediaContent', { description: 'A file (uploaded to Switchboard or hosted elsewhere) with an optional caption.' })
export class MediaContentType {
  @Field(() => MediaKind, { description: 'What the file is.' })
  mediaKind!: MediaKind;

  @Field(() => String, { nullable: true, description: 'Set when the file was uploaded to Switchboard.' })
  mediaId?: string | null;

  @Field(() => String, { nullable: true, description: 'Where the file can be fetched.' })
  url?: string | null;

  @Field(() => String, { nullable: true, description: 'MIME type of the file; null when unknown (e.g. a file hosted elsewhere).' })
  mimeType?: string | null;

  @Field(() => String, { nullable: true, description: 'Original file name; null when none was given.' })
  filename?: string | null;

  @Field(() => String, { nullable: true, description: 'Text shown with the file; null when there is none.' })
  caption?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "A customer's file that could not be fetched or kept (too large, an unknown type, the provider failed): why. Null otherwise.",
  })
  unavailable?: string | null;
}

@ObjectType('TemplateParameter', { description: 'A value filled into a template placeholder.' })
export class TemplateParameterType {
  @Field(() => TemplateParameterKind, { description: 'Which of the value fields is set.' })
  type!: TemplateParameterKind;

  @Field(() => String, { nullable: true, description: 'Text parameters: the value; null for other types.' })
  text?: string | null;

  @Field(() => String, { nullable: true, description: 'Currency and date-time: what to show where the value cannot be localised.' })
  fallbackValue?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 4217 currency code.' })
  code?: string | null;

  @Field(() => Int, { nullable: true, description: 'Amount × 1000 (WhatsApp convention).' })
  amount1000?: number | null;

  @Field(() => String, { nullable: true, description: 'Date-time parameters: the ISO 8601 date-time, when given.' })
  isoDateTime?: string | null;

  @Field(() => MediaKind, { nullable: true, description: 'Media parameters: what the header file is.' })
  mediaKind?: MediaKind | null;

  @Field(() => String, {
    nullable: true,
    description: 'Media parameters: the uploaded Media id, when the file was uploaded to Switchboard.',
  })
  mediaId?: string | null;

  @Field(() => String, { nullable: true, description: 'Media parameters: the https URL, when the file is hosted elsewhere.' })
  url?: string | null;
}

@ObjectType('TemplateComponent', { description: 'The parameters for one part of a template (header, body or a button).' })
export class TemplateComponentType {
  @Field(() => TemplateComponentKind, { description: 'Which part of the template this fills.' })
  type!: TemplateComponentKind;

  @Field(() => String, { nullable: true, description: 'Buttons: quick_reply or url.' })
  subType?: string | null;

  @Field(() => Int, { nullable: true, description: 'Buttons: position in the template.' })
  index?: number | null;

  @Field(() => [TemplateParameterType], { description: "Values of the part's placeholders, in placeholder order." })
  parameters!: TemplateParameterType[];
}

@ObjectType('TemplateContent', { description: 'A pre-approved WhatsApp template; allowed outside the customer-service window.' })
export class TemplateContentType {
  @Field({ description: 'Template name as approved, e.g. order_ready.' })
  name!: string;

  @Field({ description: 'Template language code, e.g. en or pt_BR.' })
  language!: string;

  @Field(() => [TemplateComponentType], { description: 'Parameters per template part; empty for a template without placeholders.' })
  components!: TemplateComponentType[];
}

@ObjectType('CardHeader', { description: 'The top of a card: a title and an optional image.' })
export class CardHeaderType {
  @Field({ description: 'The card title.' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'https URL of the image shown on the card; null when there is none.' })
  mediaUrl?: string | null;
}

@ObjectType('CardText', { description: 'A block of plain text on a card.' })
export class CardTextType {
  @Field({ description: 'The text.' })
  text!: string;
}

@ObjectType('CardAction', { description: 'A button on a card.' })
export class CardActionType {
  @Field(() => CardActionKind, { description: 'What tapping the button does.' })
  type!: CardActionKind;

  @Field({ description: 'The button text.' })
  label!: string;

  @Field({ description: 'Reply payload, URL or phone number, depending on type.' })
  value!: string;
}

@ObjectType('Card', { description: 'One card of rich content: a header and/or body, an optional footer, and buttons.' })
export class CardType {
  @Field(() => CardHeaderType, { nullable: true, description: 'Title and image; null when the card has only a body.' })
  header?: CardHeaderType | null;

  @Field(() => CardTextType, { nullable: true, description: 'The main text; null when the card has only a header.' })
  body?: CardTextType | null;

  @Field(() => CardTextType, { nullable: true, description: 'Small print under the body; null when there is none.' })
  footer?: CardTextType | null;

  @Field(() => [CardActionType], { description: 'Buttons, in display order (possibly none).' })
  actions!: CardActionType[];
}

@ObjectType('RichContent', { description: 'Cards with actions, for channels that support them.' })
export class RichContentType {
  @Field(() => [CardType], { description: 'The cards, in display order.' })
  cards!: CardType[];
}

const TYPE_BY_KIND: Record<ContentKind, string> = {
  [ContentKind.TEXT]: 'TextContent',
  [ContentKind.MEDIA]: 'MediaContent',
  [ContentKind.TEMPLATE]: 'TemplateContent',
  [ContentKind.RICH]: 'RichContent',
  [ContentKind.NOTE]: 'NoteContent',
};

/** A message body: exactly one variant. Query with inline fragments (`... on TextContent { body }`). */
export const MessageContentUnion = createUnionType({
  name: 'MessageContent',
  description: 'The body of a message: one of text, media, template, rich cards or an internal note.',
  types: () => [TextContentType, MediaContentType, TemplateContentType, RichContentType, NoteContentType] as const,
  resolveType: (value) => TYPE_BY_KIND[(value as unknown as StoredContent).kind],
});
