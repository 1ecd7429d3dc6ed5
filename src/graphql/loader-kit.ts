import DataLoader from 'dataloader';
import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';

/**
 * Loads rows by primary key in one `IN (…)` query per tick, scoped to the viewer's tenant and
 * filtered by `visible`, so a row the viewer may not see is simply absent (→ NOT_FOUND upstream).
 *
 * The tenant is checked on the returned rows rather than in SQL: with `tenant_id = ?` in the
 * statement SQLite's planner (without statistics) prefers the tenant index and scans the whole
 * tenant — 45 ms instead of 0.1 ms for 50 ids at 200k messages (npm run bench).
 */
export function byIdLoader<T extends { id: string; tenantId: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  tenantId: string,
  visible: (row: T) => boolean = () => true,
): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = (await em.find(entity, { id: { $in: [...ids] } } as unknown as FilterQuery<T>)) as T[];
    const byId = new Map(rows.filter((r) => r.tenantId === tenantId && visible(r)).map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * Loads all rows whose `key` column is one of the requested values, grouped per value, in one query.
 * A `tenantId` in `where` is checked on the rows, not in SQL, for the planner reason given above.
 */
export function groupLoader<T extends { tenantId: string }, K extends keyof T & string>(
  em: EntityManager,
  entity: EntityName<T>,
  key: K,
  where: { tenantId: string } & Record<string, unknown>,
  orderBy?: Record<string, 'asc' | 'desc'>,
): DataLoader<string, T[]> {
  const { tenantId, ...rest } = where;
  return new DataLoader(async (keys) => {
    const rows = (await em.find(entity, { ...rest, [key]: { $in: [...keys] } } as FilterQuery<T>, {
      orderBy: orderBy as never,
    })) as T[];
    const groups = new Map<string, T[]>();
    for (const row of rows) {
      if (row.tenantId !== tenantId) continue;
      const k = row[key] as unknown as string;
      const list = groups.get(k);
      if (list) list.push(row);
      else groups.set(k, [row]);
    }
    return keys.map((k) => groups.get(k) ?? []);
  });
}
