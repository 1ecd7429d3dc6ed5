import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ContentKind } from '../message/content-kind';
import { WindowReason } from './window.rules';

/** Whose sendability a window describes. Humans may get a longer window than automations. */
export enum WindowActorKind {
  USER = 'user',
  BOT = 'bot',
}

registerEnumType(WindowActorKind, {
  name: 'WindowActor',
  description: 'Whose sendability to evaluate: a human USER may have a longer window than a BOT.',
  valuesConfig: {
    USER: { description: 'A human teammate: may use the human-agent extension where the channel has one.' },
    BOT: { description: 'An automation: only the standard window applies.' },
  },
});

/** Can this actor send free-form content in this conversation right now, and if not, why not. */
@ObjectType('Window', { description: 'Whether free-form content can be sent now, why, until when, and what is allowed.' })
export class WindowType {
  @Field({ description: 'True when free-form content (text, media, rich) can be sent right now.' })
  canSend!: boolean;

  @Field(() => WindowReason, { description: 'Why sending is allowed or blocked; show it next to a disabled composer.' })
  reason!: WindowReason;

  @Field(() => Date, {
    nullable: true,
    description: 'When free-form sending shuts for this actor; null when there is no window or it is shut.',
  })
  expiresAt!: Date | null;

  @Field(() => [ContentKind], { description: 'Content kinds that can be sent now (templates and notes still go when the window is shut).' })
  allowedContent!: ContentKind[];

  @Field(() => WindowActorKind, { description: 'The actor this window was evaluated for.' })
  actor!: WindowActorKind;
}
