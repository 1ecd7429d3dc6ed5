import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { ChannelKind } from '../channel/channel-kind';
import { OneOf } from '../../graphql/one-of';
import { MediaKind } from './content-kind';

/** The part of a template a component fills. Values are the stored (WhatsApp) spellings. */
export enum TemplateComponentKind {
  HEADER = 'header',
  BODY = 'body',
  BUTTON = 'button',
}

registerEnumType(TemplateComponentKind, { name: 'TemplateComponentKind', description: 'HEADER, BODY or BUTTON of a template.' });

/** What tapping a card action does. Values are the stored spellings. */
export enum CardActionKind {
  REPLY = 'reply',
  LINK = 'link',
  CALL = 'call',
}

registerEnumType(CardActionKind, {
  name: 'CardActionKind',
  description: 'REPLY sends `value` back as the customer answer, LINK opens the URL `value`, CALL dials the number `value`.',
});

// ---------------------------------------------------------------------------------------------
// Recipient (one-of)
// ---------------------------------------------------------------------------------------------

@InputType('ConversationRecipientInput', { description: 'Continue a known conversation.' })
export class ConversationRecipientInput {
  @Field(() => ID)
  conversationId!: string;
}

@InputType('ContactRecipientInput', { description: 'Send to a known contact. Pass `channel` when the contact has more than one route.' })
export class ContactRecipientInput {
  @Field(() => ID)
  contactId!: string;

  @Field(() => ChannelKind, { nullable: true, description: 'Which of the contact routes to use; required when there are several.' })
  channel?: ChannelKind | null;
}

@InputType('ChannelRecipientInput', {
  description:
    'First-message send to a raw address through an inbox. Phone numbers are normalised to E.164 (international format required); the contact and an open conversation are reused when they exist.',
})
export class ChannelRecipientInput {
  @Field(() => ID, { description: 'The sender inbox; its channel decides how `address` is read.' })
  inboxId!: string;

  @Field({ description: 'The customer address on the channel: a phone number (+48 600 123 456), a platform user id, an email address…' })
  address!: string;
}

@OneOf()
@InputType('RecipientInput', { description: 'Who to send to. Exactly one field must be set.' })
export class RecipientInput {
  @Field(() => ConversationRecipientInput, { nullable: true })
  conversation?: ConversationRecipientInput | null;

  @Field(() => ContactRecipientInput, { nullable: true })
  contact?: ContactRecipientInput | null;

  @Field(() => ChannelRecipientInput, { nullable: true })
  channel?: ChannelRecipientInput | null;
}

// ---------------------------------------------------------------------------------------------
// Content (one-of)
// ---------------------------------------------------------------------------------------------

@InputType('TextContentInput', { description: 'Plain free-form text.' })
export class TextContentInput {
  @Field()
  body!: string;
}

@InputType('NoteContentInput', { description: 'An internal note: stored for teammates, never sent to the customer.' })
export class NoteContentInput {
  @Field()
  body!: string;
}

@InputType('MediaContentInput', {
  description:
    'A file: exactly one of `mediaId` (uploaded to Switchboard) or `url` (https, hosted elsewhere; then `mediaKind` is required).',
})
export class MediaContentInput {
  @Field(() => ID, { nullable: true })
  mediaId?: string | null;

  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => String, { nullable: true })
  caption?: string | null;

  @Field(() => MediaKind, {
    nullable: true,
    description: 'Required with `url`; with `mediaId` it defaults to the kind sniffed from the upload.',
  })
  mediaKind?: MediaKind | null;
}

@InputType('CurrencyParameterInput')
export class CurrencyParameterInput {
  @Field({ description: 'Shown where the amount cannot be localised.' })
  fallbackValue!: string;

  @Field({ description: 'ISO 4217 code, e.g. EUR.' })
  code!: string;

  @Field(() => Int, { description: 'Amount × 1000 (WhatsApp convention): 12.5 EUR is 12500.' })
  amount1000!: number;
}

@InputType('DateTimeParameterInput')
export class DateTimeParameterInput {
  @Field({ description: 'Shown where the date cannot be localised.' })
  fallbackValue!: string;

  @Field(() => String, { nullable: true, description: 'ISO 8601 date-time.' })
  isoDateTime?: string | null;
}

@InputType('MediaParameterInput', { description: 'A header file: exactly one of `mediaId` or `url` (https).' })
export class MediaParameterInput {
  @Field(() => MediaKind)
  mediaKind!: MediaKind;

  @Field(() => ID, { nullable: true })
  mediaId?: string | null;

  @Field(() => String, { nullable: true })
  url?: string | null;
}

@OneOf()
@InputType('TemplateParameterInput', { description: 'A value for one template placeholder. Exactly one field must be set.' })
export class TemplateParameterInput {
  @Field(() => String, { nullable: true })
  text?: string | null;

  @Field(() => CurrencyParameterInput, { nullable: true })
  currency?: CurrencyParameterInput | null;

  @Field(() => DateTimeParameterInput, { nullable: true })
  dateTime?: DateTimeParameterInput | null;

  @Field(() => MediaParameterInput, { nullable: true, description: 'HEADER components only.' })
  media?: MediaParameterInput | null;
}

@InputType('TemplateComponentInput')
export class TemplateComponentInput {
  @Field(() => TemplateComponentKind)
  type!: TemplateComponentKind;

  @Field(() => String, { nullable: true, description: 'BUTTON only (required there): quick_reply, url, …' })
  subType?: string | null;

  @Field(() => Int, { nullable: true, description: 'BUTTON only (required there): position of the button in the template.' })
  index?: number | null;

  @Field(() => [TemplateParameterInput])
  parameters!: TemplateParameterInput[];
}

@InputType('TemplateContentInput', { description: 'A pre-approved template (WhatsApp); allowed outside the customer-service window.' })
export class TemplateContentInput {
  @Field({ description: 'Template name as approved, e.g. order_ready.' })
  name!: string;

  @Field({ description: 'Template language code, e.g. en or pt_BR.' })
  language!: string;

  @Field(() => [TemplateComponentInput], { defaultValue: [] })
  components!: TemplateComponentInput[];
}

@InputType('CardHeaderInput')
export class CardHeaderInput {
  @Field()
  title!: string;

  @Field(() => String, { nullable: true, description: 'https image shown on the card.' })
  mediaUrl?: string | null;
}

@InputType('CardTextInput')
export class CardTextInput {
  @Field()
  text!: string;
}

@InputType('CardActionInput')
export class CardActionInput {
  @Field(() => CardActionKind)
  type!: CardActionKind;

  @Field()
  label!: string;

  @Field({ description: 'REPLY: the payload sent back; LINK: an http(s) URL; CALL: an international phone number.' })
  value!: string;
}

@InputType('CardInput', { description: 'A card needs a header or a body.' })
export class CardInput {
  @Field(() => CardHeaderInput, { nullable: true })
  header?: CardHeaderInput | null;

  @Field(() => CardTextInput, { nullable: true })
  body?: CardTextInput | null;

  @Field(() => CardTextInput, { nullable: true })
  footer?: CardTextInput | null;

  @Field(() => [CardActionInput], { defaultValue: [] })
  actions!: CardActionInput[];
}

@InputType('RichContentInput', { description: 'Cards with actions; only on channels that support rich content.' })
export class RichContentInput {
  @Field(() => [CardInput])
  cards!: CardInput[];
}

@OneOf()
@InputType('MessageContentInput', { description: 'What to send. Exactly one field must be set.' })
export class MessageContentInput {
  @Field(() => TextContentInput, { nullable: true })
  text?: TextContentInput | null;

  @Field(() => MediaContentInput, { nullable: true })
  media?: MediaContentInput | null;

  @Field(() => TemplateContentInput, { nullable: true })
  template?: TemplateContentInput | null;

  @Field(() => RichContentInput, { nullable: true })
  rich?: RichContentInput | null;

  @Field(() => NoteContentInput, { nullable: true })
  note?: NoteContentInput | null;
}

// ---------------------------------------------------------------------------------------------
// The mutation input
// ---------------------------------------------------------------------------------------------

@InputType('SendMessageInput')
export class SendMessageInput {
  @Field(() => RecipientInput)
  recipient!: RecipientInput;

  @Field(() => MessageContentInput)
  content!: MessageContentInput;

  @Field(() => ID, {
    nullable: true,
    description:
      "Which inbox's conversation a contact send continues or starts (required when several inboxes of the channel can reach the contact). A conversation is served by its own inbox: for a conversation recipient this may only repeat that inbox (another is BAD_USER_INPUT); to write from another inbox, send to the contact with that inboxId. For a channel recipient it must equal recipient.channel.inboxId.",
  })
  inboxId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Quote a message of the same conversation.' })
  replyToMessageId?: string | null;

  @Field(() => String, { nullable: true, description: 'Your own id for the message, echoed back (optimistic UIs).' })
  clientMessageId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Retry-safe sends: a repeat with the same key and the same input returns the original message (kept at least 24 h); the same key with a different input is IDEMPOTENCY_CONFLICT.',
  })
  idempotencyKey?: string | null;
}
