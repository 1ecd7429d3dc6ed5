import { Errors } from './errors';

/**
 * Checks a "one-of" input: exactly one of `keys` is set (not null/undefined) on `value`, and
 * returns that key; otherwise BAD_USER_INPUT naming `field` and the alternatives.
 *
 * The GraphQL inputs it guards are `@oneOf` (src/graphql/one-of.ts), so graphql-js refuses them
 * before a resolver runs; this check keeps the rule true for callers that do not come through
 * GraphQL validation, and for alternatives nested deeper than a OneOf type can express.
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
