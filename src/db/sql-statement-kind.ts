/**
 * What a statement sent outside a transaction does to an SQLite database, which decides how the
 * connection runs it:
 * - `read`: runs at once on any pooled connection (WAL readers never wait for the writer);
 * - `write`: queued with the write transactions and run inside one (`BEGIN IMMEDIATE`);
 * - `session`: connection or transaction control that must not be wrapped in a transaction
 *   (`pragma`, `vacuum`, `attach`, `begin`, …); runs as is.
 */
export type StatementKind = 'read' | 'write' | 'session';

/** The kind per leading keyword. A keyword not listed is a `write`: queueing a read costs a wait, not a failure. */
const KIND_BY_KEYWORD: Readonly<Record<string, StatementKind>> = {
  select: 'read',
  values: 'read',
  explain: 'read',
  with: 'read', // unless it hides a DML statement: see statementKind
  insert: 'write',
  replace: 'write',
  update: 'write',
  delete: 'write',
  create: 'write',
  drop: 'write',
  alter: 'write',
  analyze: 'write',
  reindex: 'write',
  pragma: 'session',
  vacuum: 'session',
  attach: 'session',
  detach: 'session',
  begin: 'session',
  commit: 'session',
  end: 'session',
  rollback: 'session',
  savepoint: 'session',
  release: 'session',
};

/** Classifies one SQL statement by its leading keyword (leading comments and parentheses skipped). */
export function statementKind(sql: string): StatementKind {
  const body = sql.replace(/^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()+/, '');
  const keyword = /^[a-z]+/i.exec(body)?.[0].toLowerCase() ?? '';
  const kind = KIND_BY_KEYWORD[keyword] ?? 'write';
  if (keyword === 'with' && /\b(insert|replace|update|delete)\b/i.test(body)) return 'write';
  return kind;
}
