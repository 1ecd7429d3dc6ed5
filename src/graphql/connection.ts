import type { ClassType } from 'type-graphql';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { Errors } from '../lib/errors';

/** Relay's page info. */
@ObjectType('PageInfo', {
  description: 'Where a page sits in its list (Relay): whether more items exist on either side, and the cursors to fetch them.',
})
export class PageInfo {
  @Field({ description: 'More items follow this page: fetch them with `first` and `after: endCursor`.' })
  hasNextPage!: boolean;

  @Field({ description: 'More items precede this page: fetch them with `last` and `before: startCursor`.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge; null when the page is empty.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; null when the page is empty.' })
  endCursor!: string | null;
}

/** Relay connection arguments: `first/after` pages forward, `last/before` pages backward. */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: 'Page size from the start (at most 100).' })
  first?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Return items after this cursor (an `endCursor` or edge `cursor`); goes with `first`.',
  })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: 'Page size from the end (at most 100).' })
  last?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Return items before this cursor (a `startCursor` or edge `cursor`); goes with `last`.',
  })
  before?: string | null;
}

/** A validated page request. */
export interface PageRequest {
  /** forward = from the start of the list's order; backward = from its end. */
  direction: 'forward' | 'backward';
  size: number;
  /** Raw cursor to continue from (after for forward, before for backward), with its argument name. */
  cursor: { field: 'after' | 'before'; value: string } | null;
}

/** Checks Relay arguments; `defaultDirection` applies when neither first nor last is given. */
export function pageRequest(
  args: ConnectionArgs,
  opts: { defaultSize: number; maxSize: number; defaultDirection?: 'forward' | 'backward' },
): PageRequest {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw Errors.field('first', 'cannot be combined with last.');
  if (after != null && before != null) throw Errors.field('after', 'cannot be combined with before.');
  if (first != null && before != null) throw Errors.field('before', 'goes with last, not first.');
  if (last != null && after != null) throw Errors.field('after', 'goes with first, not last.');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value != null && (value < 0 || value > opts.maxSize)) {
      throw Errors.field(name, `must be between 0 and ${opts.maxSize}.`);
    }
  }
  const backward = last != null || before != null || (first == null && opts.defaultDirection === 'backward');
  const size = (backward ? last : first) ?? opts.defaultSize;
  const cursorValue = backward ? before : after;
  return {
    direction: backward ? 'backward' : 'forward',
    size,
    cursor: cursorValue ? { field: backward ? 'before' : 'after', value: cursorValue } : null,
  };
}

/** A page of rows in display order plus whether more exist on either side. */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** Shapes a page into Relay's edges/pageInfo, with `cursorOf` producing each row's cursor. */
export function toConnection<T>(page: Page<T>, cursorOf: (node: T) => string) {
  const edges = page.nodes.map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    nodes: page.nodes,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/** Builds `<Name>Connection` and `<Name>Edge` object types for a node type. */
export function Connection<T extends object>(name: string, Node: ClassType<T>) {
  @ObjectType(`${name}Edge`, { description: `One ${name} in a page, with its cursor.` })
  class Edge {
    @Field({ description: 'Opaque position of this item: pass it as `after` or `before` to page from here.' })
    cursor!: string;

    @Field(() => Node, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} objects (Relay connection).` })
  class ConnectionType {
    @Field(() => [Edge], { description: 'The items of this page with their cursors, in list order.' })
    edges!: Edge[];

    @Field(() => [Node], { description: 'The nodes of `edges`, for clients that need no cursors.' })
    nodes!: T[];

    @Field(() => PageInfo, { description: 'Whether more items exist, and the cursors to page on.' })
    pageInfo!: PageInfo;
  }
  return ConnectionType;
}
