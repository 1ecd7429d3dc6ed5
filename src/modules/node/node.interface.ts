import { Field, ID, InterfaceType } from 'type-graphql';

/** Relay's global object identification: every object with an id can be refetched with `node(id:)`. */
@InterfaceType('Node', { description: 'An object with a globally unique, opaque id that `node(id:)` can refetch.' })
export abstract class Node {
  @Field(() => ID, { description: 'Opaque, prefixed, time-sortable id (e.g. `cnv_01HV…`).' })
  id!: string;
}
