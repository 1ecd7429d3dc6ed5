import { Errors } from './errors';

/**
 * Checks a "one-of" input: exactly one of `keys` is set (not null/undefined) on `value`, and
 * returns that key; otherwise BAD_USER_INPUT naming `field` and the alternatives.
 *
 * graphql-js 16 knows `@oneOf`, but type-graphql 2.0 rc cannot declare it, so such inputs are
 * ordinary input objects whose exclusivity is checked here, with the same error shape as every
 * other input violation.
 */
export function exactlyOne<T extends object, K extends keyof T & string>(field: string, value: T, keys: readonly K[]): K {
  const set = keys.filter((k) => value[k] !== null && value[k] !== undefined);
  if (set.length !== 1) {
    const options = keys.join(', ');
    throw Errors.field(
      field,
      set.length === 0 ? `set exactly one of ${options}.` : `set exactly one of ${options} (got ${set.join(' and ')}).`,
    );
  }
  return set[0];
}
