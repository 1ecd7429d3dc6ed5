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

registerEnumType(TemplateComponentKind, {
  name: 'TemplateComponentKind',
  description: 'HEADER, BODY or BUTTON of a template.',
  valuesConfig: {
    HEADER: { description: 'The header: one text or media parameter.' },
    BODY: { description: 'The body text: its `{{n}}` placeholders in order.' },
    BUTTON: { description: 'A button (give `subType` and `index`): its dynamic URL suffix or quick-reply payload.' },
  },
});

/** What tapping a card action does. Values are the stored spellings. */
export enum CardActionKind {
  REPLY = 'reply',
  LINK = 'link',
  CALL = 'call',
}

registerEnumType(CardActionKind, {
  name: 'CardActionKind',
  description: 'REPLY sends `value` back as the customer answer, LINK opens the URL `value`, CALL dials the number `value`.',
  valuesConfig: {
    REPLY: { description: 'A quick reply: tapping it sends `value` back as the customer answer.' },
    LINK: { description: 'Opens the http(s) URL in `value`.' },
    CALL: { description: 'Dials the international phone number in `value`.' },
  },
});

// ---------------------------------------------------------------------------------------------
// Recipient (one-of)
// ---------------------------------------------------------------------------------------------

@InputType('ConversationRecipientInput', { description: 'Continue a known conversation.' })
export class ConversationRecipientInput {
  @Field(() => ID, { description: 'The conversation to write in; it is served by its own inbox.' })
  conversationId!: string;
}

@InputType('ContactRecipientInput', { description: 'Send to a known contact. Pass `channel` when the contact has more than one route.' })
export class ContactRecipientInput {
  @Field(() => ID, {
    description:
      'The contact to write to; their conversation in the sender inbox (one per inbox) is continued, reopened when closed, or started.',
  })
  contactId!: string;

  @Field(() => ChannelKind, { nullable: true, description: 'Which of the contact routes to use; required when there are several.' })
  channel?: ChannelKind | null;
}

@InputType('ChannelRecipientInput', {
  description:
    'First-message send to a raw address through an inbox. Phone numbers are normalised to E.164 (international format required); the contact and their conversation in this inbox (one per inbox, reopened when closed) are reused when they exist.',
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
  @Field(() => ConversationRecipientInput, { nullable: true, description: 'Reply in a conversation you already have.' })
  conversation?: ConversationRecipientInput | null;

  @Field(() => ContactRecipientInput, { nullable: true, description: 'Write to a known contact.' })
  contact?: ContactRecipientInput | null;

  @Field(() => ChannelRecipientInput, { nullable: true, description: 'Write to a raw address (phone number, user id…) through an inbox.' })
  channel?: ChannelRecipientInput | null;
}

// ---------------------------------------------------------------------------------------------
// Content (one-of)
// ---------------------------------------------------------------------------------------------

@InputType('TextContentInput', { description: 'Plain free-form text.' })
export class TextContentInput {
  @Field({ description: "The text; at most the inbox's `capabilities.maxTextLength` (in its `textLengthUnit`)." })
  body!: string;
}

@InputType('NoteContentInput', { description: 'An internal note: stored for teammates, never sent to the customer.' })
export class NoteContentInput {
  @Field({ description: 'The note text, seen only by teammates.' })
  body!: string;
}

@InputType('MediaContentInput', {
  description:
    'A file: exactly one of `mediaId` (uploaded to Switchboard) or `url` (https, hosted elsewhere; then `mediaKind` is required).',
})
export class MediaContentInput {
  @Field(() => ID, { nullable: true, description: 'A Media id from `uploadMedia`.' })
  mediaId?: string | null;

  @Field(() => String, { nullable: true, description: 'An https URL the provider can fetch the file from.' })
  url?: string | null;

  @Field(() => String, { nullable: true, description: 'Text shown with the file, where the channel supports captions.' })
  caption?: string | null;

  @Field(() => MediaKind, {
    nullable: true,
    description: 'Required with `url`; with `mediaId` it defaults to the kind sniffed from the upload.',
  })
  mediaKind?: MediaKind | null;
}

@InputType('CurrencyParameterInput', { description: 'An amount of money, localised by the channel.' })
export class CurrencyParameterInput {
  @Field({ description: 'Shown where the amount cannot be localised.' })
  fallbackValue!: string;

  @Field({ description: 'ISO 4217 code, e.g. EUR.' })
  code!: string;

  @Field(() => Int, { description: 'Amount × 1000 (WhatsApp convention): 12.5 EUR is 12500.' })
  amount1000!: number;
}

@InputType('DateTimeParameterInput', { description: 'A date and time, localised by the channel.' })
export class DateTimeParameterInput {
  @Field({ description: 'Shown where the date cannot be localised.' })
  fallbackValue!: string;

  @Field(() => String, { nullable: true, description: 'ISO 8601 date-time.' })
  isoDateTime?: string | null;
}

@InputType('MediaParameterInput', { description: 'A header file: exactly one of `mediaId` or `url` (https).' })
export class MediaParameterInput {
  @Field(() => MediaKind, { description: 'What the header file is.' })
  mediaKind!: MediaKind;

  @Field(() => ID, { nullable: true, description: 'A Media id from `uploadMedia`.' })
  mediaId?: string | null;

  @Field(() => String, { nullable: true, description: 'An https URL the provider can fetch the file from.' })
  url?: string | null;
}

@OneOf()
@InputType('TemplateParameterInput', { description: 'A value for one template placeholder. Exactly one field must be set.' })
export class TemplateParameterInput {
  @Field(() => String, { nullable: true, description: 'Plain text (for buttons: the URL suffix or quick-reply payload).' })
  text?: string | null;

  @Field(() => CurrencyParameterInput, { nullable: true, description: 'An amount of money.' })
  currency?: CurrencyParameterInput | null;

  @Field(() => DateTimeParameterInput, { nullable: true, description: 'A date and time.' })
  dateTime?: DateTimeParameterInput | null;

  @Field(() => MediaParameterInput, { nullable: true, description: 'HEADER components only.' })
  media?: MediaParameterInput | null;
}

@InputType('TemplateComponentInput', { description: 'The parameters for one part of a template.' })
export class TemplateComponentInput {
  @Field(() => TemplateComponentKind, { description: 'Which part of the template these parameters fill.' })
  type!: TemplateComponentKind;

  @Field(() => String, { nullable: true, description: 'BUTTON only (required there): quick_reply, url, …' })
  subType?: string | null;

  @Field(() => Int, { nullable: true, description: 'BUTTON only (required there): position of the button in the template.' })
  index?: number | null;

  @Field(() => [TemplateParameterInput], { description: "Values for the part's placeholders, in placeholder order." })
  parameters!: TemplateParameterInput[];
}

@InputType('TemplateContentInput', { description: 'A pre-approved template (WhatsApp); allowed outside the customer-service window.' })
export class TemplateContentInput {
  @Field({ description: 'Template name as approved, e.g. order_ready.' })
  name!: string;

  @Field({ description: 'Template language code, e.g. en or pt_BR.' })
  language!: string;

  @Field(() => [TemplateComponentInput], {
    defaultValue: [],
    description: 'Parameters per template part; empty for a template without placeholders.',
  })
  components!: TemplateComponentInput[];
}

@InputType('CardHeaderInput', { description: 'The top of a card: a title and an optional image.' })
export class CardHeaderInput {
  @Field({ description: 'The card title.' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'https image shown on the card.' })
  mediaUrl?: string | null;
}

@InputType('CardTextInput', { description: 'A block of plain text on a card.' })
export class CardTextInput {
  @Field({ description: 'The text.' })
  text!: string;
}

@InputType('CardActionInput', { description: 'A button on a card.' })
export class CardActionInput {
  @Field(() => CardActionKind, { description: 'What tapping the button does.' })
  type!: CardActionKind;

  @Field({ description: 'The button text.' })
  label!: string;

  @Field({ description: 'REPLY: the payload sent back; LINK: an http(s) URL; CALL: an international phone number.' })
  value!: string;
}

@InputType('CardInput', { description: 'A card needs a header or a body.' })
export class CardInput {
  @Field(() => CardHeaderInput, { nullable: true, description: 'Title and image.' })
  header?: CardHeaderInput | null;

  @Field(() => CardTextInput, { nullable: true, description: 'The main text.' })
  body?: CardTextInput | null;

  @Field(() => CardTextInput, { nullable: true, description: 'Small print under the body.' })
  footer?: CardTextInput | null;

  @Field(() => [CardActionInput], { defaultValue: [], description: 'Buttons, in display order (at most 3).' })
  actions!: CardActionInput[];
}

@InputType('RichContentInput', { description: 'Cards with actions; only on channels that support rich content.' })
export class RichContentInput {
  @Field(() => [CardInput], { description: 'One to 10 cards, in display order (several show as a carousel).' })
  cards!: CardInput[];
}

@OneOf()
@InputType('MessageContentInput', { description: 'What to send. Exactly one field must be set.' })
export class MessageContentInput {
  @Field(() => TextContentInput, { nullable: true, description: 'Free-form text (inside the window).' })
  text?: TextContentInput | null;

  @Field(() => MediaContentInput, { nullable: true, description: 'A file (inside the window).' })
  media?: MediaContentInput | null;

  @Field(() => TemplateContentInput, { nullable: true, description: 'A pre-approved template (also outside the window).' })
  template?: TemplateContentInput | null;

  @Field(() => RichContentInput, { nullable: true, description: 'Cards with buttons (inside the window, on channels with rich content).' })
  rich?: RichContentInput | null;

  @Field(() => NoteContentInput, { nullable: true, description: 'An internal note for teammates; never sent, always allowed.' })
  note?: NoteContentInput | null;
}

// ---------------------------------------------------------------------------------------------
// The mutation input
// ---------------------------------------------------------------------------------------------

@InputType('SendMessageInput', { description: 'A message to send: to whom, what, and how to make the send retry-safe.' })
export class SendMessageInput {
  @Field(() => RecipientInput, { description: 'Who to send to: a conversation, a contact, or a raw address.' })
  recipient!: RecipientInput;

  @Field(() => MessageContentInput, { description: 'What to send.' })
  content!: MessageContentInput;

  @Field(() => ID, {
    nullable: true,
    description:
      "Which inbox's conversation a contact send continues or starts. Left out, it is the inbox of the contact's latest open conversation on the channel, else of their latest conversation there, else the only inbox of the channel (several are BAD_USER_INPUT). A conversation is served by its own inbox: for a conversation recipient this may only repeat that inbox (another is BAD_USER_INPUT); to write from another inbox, send to the contact with that inboxId. For a channel recipient it must equal recipient.channel.inboxId.",
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
