import DataLoader from 'dataloader';
import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';

/**
 * Loads rows by primary key in one `IN (…)` query per tick, scoped to the viewer's tenant and
 * filtered by `visible`, so a row the viewer may not see is simply absent (→ NOT_FOUND upstream).
 */
export function byIdLoader<T extends { id: string; tenantId: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  tenantId: string,
  visible: (row: T) => boolean = () => true,
): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = (await em.find(entity, { id: { $in: [...ids] }, tenantId } as FilterQuery<T>)) as T[];
    const byId = new Map(rows.filter(visible).map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads all rows whose `key` column is one of the requested values, grouped per value, in one query. */
export function groupLoader<T extends object, K extends keyof T & string>(
  em: EntityManager,
  entity: EntityName<T>,
  key: K,
  where: FilterQuery<T>,
  orderBy?: Record<string, 'asc' | 'desc'>,
): DataLoader<string, T[]> {
  return new DataLoader(async (keys) => {
    const rows = (await em.find(entity, { $and: [where, { [key]: { $in: [...keys] } }] } as FilterQuery<T>, {
      orderBy: orderBy as never,
    })) as T[];
    const groups = new Map<string, T[]>();
    for (const row of rows) {
      const k = row[key] as unknown as string;
      const list = groups.get(k);
      if (list) list.push(row);
      else groups.set(k, [row]);
    }
    return keys.map((k) => groups.get(k) ?? []);
  });
}
