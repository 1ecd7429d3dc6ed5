import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ContentKind, MediaKind } from '../message/content-kind';

/** What `maxTextLength` counts. */
export enum TextLengthUnitKind {
  CODE_POINTS = 'code-points',
  UTF8_BYTES = 'utf8-bytes',
}

registerEnumType(TextLengthUnitKind, {
  name: 'TextLengthUnit',
  description: 'What a text limit counts: Unicode code points (most channels) or UTF-8 bytes (Instagram).',
  valuesConfig: {
    CODE_POINTS: { description: 'Unicode code points (an emoji may count as several).' },
    UTF8_BYTES: { description: 'Bytes of the UTF-8 encoding (most non-Latin letters count as 2 or 3).' },
  },
});

@ObjectType('MediaLimit', { description: 'One kind of media an inbox can send, with its size and type limits.' })
export class MediaLimitType {
  @Field(() => MediaKind, { description: 'The media kind these limits apply to.' })
  kind!: MediaKind;

  @Field(() => Int, { description: 'Largest accepted file, in bytes (inclusive).' })
  maxBytes!: number;

  @Field(() => [String], { description: 'Accepted MIME types, lowercase.' })
  mimeTypes!: string[];
}

@ObjectType('InboxCapabilities', { description: "What an inbox's channel and provider support, so a composer can adapt." })
export class InboxCapabilitiesType {
  @Field({ description: 'Reactions can be sent and received.' })
  reactions!: boolean;

  @Field({
    description: 'The provider reports DELIVERED. False (Telegram, email): statuses end at SENT, so do not wait for DELIVERED or READ.',
  })
  deliveryReceipts!: boolean;

  @Field({ description: 'Messages reach READ (the channel reports when the customer read them).' })
  readReceipts!: boolean;

  @Field({ description: 'Cards, buttons and quick replies can be sent as free-form content.' })
  richContent!: boolean;

  @Field({ description: 'Pre-approved templates exist (and are the only thing that can be sent outside the window).' })
  templates!: boolean;

  @Field(() => Int, { description: 'Longest text body, counted in `textLengthUnit`.' })
  maxTextLength!: number;

  @Field(() => TextLengthUnitKind, { description: 'What `maxTextLength` counts.' })
  textLengthUnit!: TextLengthUnitKind;

  @Field(() => [ContentKind], { description: 'Content kinds this inbox can carry at all (the window may narrow them further).' })
  contentKinds!: ContentKind[];

  @Field(() => [MediaLimitType], { description: 'Media kinds that can be sent, with their limits; a kind not listed cannot be sent.' })
  media!: MediaLimitType[];
}
