import { Errors } from './errors';

/**
 * Opaque keyset cursors. A cursor names the list it belongs to (`scope`) and the sort-key values of
 * one row; using it on another list, or tampering with it, is a BAD_USER_INPUT, never a 500.
 */
export type CursorValue = string | number;

/**
 * A cursor for the row whose sort-key values are `values`, in the list named `scope`: base64url of
 * the JSON `[scope, ...values]`. Opaque to clients but not secret (it holds only values the client
 * could see); {@link decodeCursor} with the same scope and value shape reads it back.
 */
export function encodeCursor(scope: string, values: CursorValue[]): string {
  return Buffer.from(JSON.stringify([scope, ...values]), 'utf8').toString('base64url');
}

/** Decodes a cursor of `scope` whose values match `shape` ('s' string, 'n' number), or throws. */
export function decodeCursor(field: string, cursor: string, scope: string, shape: ('s' | 'n')[]): CursorValue[] {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw Errors.field(field, 'is not a valid cursor.');
  }
  if (!Array.isArray(parsed) || parsed[0] !== scope || parsed.length !== shape.length + 1) {
    throw Errors.field(field, 'is a cursor from another list; use a cursor this field returned.');
  }
  const values = parsed.slice(1) as unknown[];
  values.forEach((v, i) => {
    const ok = shape[i] === 's' ? typeof v === 'string' : typeof v === 'number' && Number.isFinite(v);
    if (!ok) throw Errors.field(field, 'is not a valid cursor.');
  });
  return values as CursorValue[];
}
