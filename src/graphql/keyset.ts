import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';
import { decodeCursor, encodeCursor, type CursorValue } from '../lib/cursor';
import type { Page, PageRequest } from './connection';

/** One sort key of a keyset order. The last key must be unique (the id) so the order is total. */
export interface SortKey<T> {
  field: keyof T & string;
  kind: 'date' | 'string';
}

/** A list's order: its keys, one direction for all of them, and a scope name for its cursors. */
export interface KeysetOrder<T> {
  scope: string;
  keys: SortKey<T>[];
  direction: 'asc' | 'desc';
}

function valueOf<T>(row: T, key: SortKey<T>): CursorValue {
  const v = row[key.field] as unknown;
  return key.kind === 'date' ? (v as Date).getTime() : (v as string);
}

/** The opaque cursor of `row` in `order`. */
export function cursorFor<T>(order: KeysetOrder<T>, row: T): string {
  return encodeCursor(
    order.scope,
    order.keys.map((k) => valueOf(row, k)),
  );
}

/**
 * "Comes after (v1…vn) in this order" as a filter: k1 > v1 OR (k1 = v1 AND k2 > v2) … — which an
 * index on (filters…, k1…kn) answers with a range scan, however deep the page.
 */
function beyond<T>(order: KeysetOrder<T>, values: CursorValue[], ascending: boolean): FilterQuery<T> {
  const op = ascending ? '$gt' : '$lt';
  const asQueryValue = (k: SortKey<T>, v: CursorValue) => (k.kind === 'date' ? new Date(v as number) : v);
  const branches = order.keys.map((key, i) => {
    const cond: Record<string, unknown> = {};
    order.keys.slice(0, i).forEach((prev, j) => (cond[prev.field] = asQueryValue(prev, values[j])));
    cond[key.field] = { [op]: asQueryValue(key, values[i]) };
    return cond;
  });
  return { $or: branches } as FilterQuery<T>;
}

/** Reads the rows of one page; `em.find` (managed entities) unless a read path passes {@link readRows}. */
export type PageReader = <T extends object>(
  em: EntityManager,
  entity: new (...args: never[]) => T,
  where: FilterQuery<T>,
  options: { orderBy: Record<string, 'asc' | 'desc'>; limit: number },
) => Promise<T[]>;

/** Fetches one page of `entity` matching `where`, in `order`, as `req` asks. One SQL statement. */
export async function keysetPage<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  order: KeysetOrder<T>,
  req: PageRequest,
  read?: PageReader,
): Promise<Page<T>> {
  const backward = req.direction === 'backward';
  // Backward pages read the order reversed from the cursor, then flip the rows back.
  const ascending = (order.direction === 'asc') !== backward;
  const conditions: FilterQuery<T>[] = [where];
  if (req.cursor) {
    const values = decodeCursor(
      req.cursor.field,
      req.cursor.value,
      order.scope,
      order.keys.map((k) => (k.kind === 'date' ? 'n' : 's')),
    );
    conditions.push(beyond(order, values, ascending));
  }
  if (req.size === 0) return { nodes: [], hasNextPage: false, hasPreviousPage: false };
  const orderBy = Object.fromEntries(order.keys.map((k) => [k.field, ascending ? 'asc' : 'desc']));
  const rows = read
    ? await read(em, entity as new (...args: never[]) => T, { $and: conditions } as FilterQuery<T>, {
        orderBy: orderBy as Record<string, 'asc' | 'desc'>,
        limit: req.size + 1,
      })
    : ((await em.find(entity, { $and: conditions } as FilterQuery<T>, {
        orderBy: orderBy as never,
        limit: req.size + 1,
      })) as T[]);
  const more = rows.length > req.size;
  const nodes = rows.slice(0, req.size);
  if (backward) nodes.reverse();
  return {
    nodes,
    hasNextPage: backward ? req.cursor !== null : more,
    hasPreviousPage: backward ? more : req.cursor !== null,
  };
}
