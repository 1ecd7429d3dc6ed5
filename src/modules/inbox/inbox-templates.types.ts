import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('MessageTemplateButton', { description: 'A button of an approved message template.' })
export class MessageTemplateButtonType {
  @Field({ description: "The provider's button type (WhatsApp: QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP, FLOW)." })
  type!: string;

  @Field(() => String, { nullable: true, description: 'The label the customer sees.' })
  text!: string | null;

  @Field({
    description: 'A send must carry a parameter for this button (a `button` component with its index): a URL suffix, a coupon code.',
  })
  takesParameter!: boolean;
}

@ObjectType('MessageTemplateComponent', { description: 'One part of an approved message template: header, body, footer or buttons.' })
export class MessageTemplateComponentType {
  @Field({ description: 'HEADER, BODY, FOOTER or BUTTONS.' })
  type!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Headers: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION (a media header takes one media parameter).',
  })
  format!: string | null;

  @Field(() => String, { nullable: true, description: 'The text with its placeholders (`{{1}}` or `{{name}}`), as approved.' })
  text!: string | null;

  @Field(() => Int, { description: 'How many positional parameters (`{{1}}`, `{{2}}`…) the text takes.' })
  parameterCount!: number;

  @Field(() => [String], { description: 'Names of named parameters (`{{first_name}}`), in order of first appearance.' })
  namedParameters!: string[];

  @Field(() => [MessageTemplateButtonType], { description: 'BUTTONS: the buttons, in order (their index is their position).' })
  buttons!: MessageTemplateButtonType[];
}

@ObjectType('MessageTemplate', { description: "An approved message template of the inbox's provider account, as a composer offers it." })
export class MessageTemplateType {
  @Field(() => ID, { nullable: true, description: "The provider's template id." })
  providerId!: string | null;

  @Field({ description: 'The name a template message is sent with (`TemplateContentInput.name`).' })
  name!: string;

  @Field({ description: 'The language code a template message is sent with (e.g. `en_US`).' })
  language!: string;

  @Field(() => String, { nullable: true, description: 'MARKETING, UTILITY or AUTHENTICATION.' })
  category!: string | null;

  @Field({ description: "The provider's review status (APPROVED: only approved templates are listed)." })
  status!: string;

  @Field(() => [MessageTemplateComponentType], { description: 'Header, body, footer and buttons, in order.' })
  components!: MessageTemplateComponentType[];
}
