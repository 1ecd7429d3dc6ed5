import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * Whoever wrote a message, reacted or caused an event: a teammate (User, bots included: `bot: true`)
 * or a customer (Contact). The system has no actor: those fields are null and `actorType` says SYSTEM.
 * An interface rather than a union so clients select `actor { id name }` without fragments, and
 * `name` is nullable here because a customer may never have given one.
 */
@InterfaceType('Actor', {
  description:
    'A teammate (User; bots are users with `bot: true`) or a customer (Contact). Select `id` and `name` directly; null actor fields mean the system.',
})
export abstract class Actor {
  @Field(() => ID, { description: 'The user or contact id.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Display name; null for a customer who never gave one (teammates always have one).' })
  name!: string | null;
}
