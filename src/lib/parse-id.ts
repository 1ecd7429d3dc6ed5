import { Errors } from './errors';
import { ID_PREFIXES, idKind, type IdKind } from './ids';

/** Checks that `value` (from argument `field`) is a well-formed id of `kind`, or BAD_USER_INPUT naming the field. */
export function parseId(field: string, value: string, kind: IdKind): string {
  if (idKind(value) !== kind) {
    throw Errors.field(field, `is not a valid ${kind} id (expected ${ID_PREFIXES[kind]}_…).`);
  }
  return value;
}

/** Same as parseId for optional arguments. */
export function parseOptionalId(field: string, value: string | null | undefined, kind: IdKind): string | null | undefined {
  return value == null ? value : parseId(field, value, kind);
}
