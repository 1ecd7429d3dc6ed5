import { createUnionType, Field, Int, ObjectType } from 'type-graphql';
import { ContentKind, MediaKind } from './content-kind';
import type { StoredContent } from './message-content';

@ObjectType('TextContent', { description: 'Plain text.' })
export class TextContentType {
  @Field()
  body!: string;

  @Field(() => Int, { nullable: true, description: 'SMS only: billed segments.' })
  smsSegments?: number | null;
}

@ObjectType('NoteContent', { description: 'An internal note: stored and shown to teammates, never sent to the customer.' })
export class NoteContentType {
  @Field()
  body!: string;
}

@ObjectType('MediaContent', { description: 'A file (uploaded to Switchboard or hosted elsewhere) with an optional caption.' })
export class MediaContentType {
  @Field(() => MediaKind)
  mediaKind!: MediaKind;

  @Field(() => String, { nullable: true, description: 'Set when the file was uploaded to Switchboard.' })
  mediaId?: string | null;

  @Field(() => String, { nullable: true, description: 'Where the file can be fetched.' })
  url?: string | null;

  @Field(() => String, { nullable: true })
  mimeType?: string | null;

  @Field(() => String, { nullable: true })
  filename?: string | null;

  @Field(() => String, { nullable: true })
  caption?: string | null;
}

@ObjectType('TemplateParameter', { description: 'A value filled into a template placeholder.' })
export class TemplateParameterType {
  @Field({ description: 'text | currency | date_time | media' })
  type!: string;

  @Field(() => String, { nullable: true })
  text?: string | null;

  @Field(() => String, { nullable: true, description: 'Currency and date-time: what to show where the value cannot be localised.' })
  fallbackValue?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 4217 currency code.' })
  code?: string | null;

  @Field(() => Int, { nullable: true, description: 'Amount × 1000 (WhatsApp convention).' })
  amount1000?: number | null;

  @Field(() => String, { nullable: true })
  isoDateTime?: string | null;

  @Field(() => MediaKind, { nullable: true })
  mediaKind?: MediaKind | null;

  @Field(() => String, { nullable: true })
  mediaId?: string | null;

  @Field(() => String, { nullable: true })
  url?: string | null;
}

@ObjectType('TemplateComponent', { description: 'The parameters for one part of a template (header, body or a button).' })
export class TemplateComponentType {
  @Field({ description: 'header | body | button' })
  type!: string;

  @Field(() => String, { nullable: true, description: 'Buttons: quick_reply or url.' })
  subType?: string | null;

  @Field(() => Int, { nullable: true, description: 'Buttons: position in the template.' })
  index?: number | null;

  @Field(() => [TemplateParameterType])
  parameters!: TemplateParameterType[];
}

@ObjectType('TemplateContent', { description: 'A pre-approved WhatsApp template; allowed outside the customer-service window.' })
export class TemplateContentType {
  @Field()
  name!: string;

  @Field({ description: 'Template language code, e.g. en or pt_BR.' })
  language!: string;

  @Field(() => [TemplateComponentType])
  components!: TemplateComponentType[];
}

@ObjectType('CardHeader')
export class CardHeaderType {
  @Field()
  title!: string;

  @Field(() => String, { nullable: true })
  mediaUrl?: string | null;
}

@ObjectType('CardText')
export class CardTextType {
  @Field()
  text!: string;
}

@ObjectType('CardAction', { description: 'A button on a card.' })
export class CardActionType {
  @Field({ description: 'reply | link | call' })
  type!: string;

  @Field()
  label!: string;

  @Field({ description: 'Reply payload, URL or phone number, depending on type.' })
  value!: string;
}

@ObjectType('Card')
export class CardType {
  @Field(() => CardHeaderType, { nullable: true })
  header?: CardHeaderType | null;

  @Field(() => CardTextType, { nullable: true })
  body?: CardTextType | null;

  @Field(() => CardTextType, { nullable: true })
  footer?: CardTextType | null;

  @Field(() => [CardActionType])
  actions!: CardActionType[];
}

@ObjectType('RichContent', { description: 'Cards with actions, for channels that support them.' })
export class RichContentType {
  @Field(() => [CardType])
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
