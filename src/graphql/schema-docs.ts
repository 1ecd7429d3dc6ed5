import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import type { Scope } from '../modules/auth/scopes';
import { REQUIRED_SCOPES_EXTENSION } from './authorization';

/** Descriptions of the root types, which type-graphql builds without a decorator to carry them. */
const ROOT_DESCRIPTIONS = {
  query: 'Reads. Every field needs a bearer token; each says which scope it needs beyond that.',
  mutation:
    'Writes. Each mutation runs in one transaction with the event it records: a refusal (an error with a stable `extensions.code`) changes nothing.',
  subscription:
    'Live events over a websocket (graphql-ws protocol) on the same /graphql URL; send the token as `{ authorization: "Bearer …" }` in `connection_init`.',
} as const;

/**
 * Completes the documentation of a freshly built schema with what the decorators cannot say:
 * the root types' descriptions, and on every field guarded by `@RequireScopes` the scopes it
 * needs, taken from the guard itself so the docs cannot drift from what is enforced. A field whose
 * description already names its scopes is left as written.
 */
export function completeSchemaDocs(schema: GraphQLSchema): void {
  const roots = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() };
  for (const [kind, type] of Object.entries(roots) as [keyof typeof ROOT_DESCRIPTIONS, (typeof roots)[keyof typeof roots]][]) {
    if (type && !type.description) type.description = ROOT_DESCRIPTIONS[kind];
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const scopes = field.extensions[REQUIRED_SCOPES_EXTENSION] as Scope[] | undefined;
      if (!scopes?.length) continue;
      const described = field.description ?? '';
      const missing = scopes.filter((scope) => !described.includes(scope));
      if (missing.length === 0) continue;
      const needs = `Needs the ${missing.map((s) => `\`${s}\``).join(' and ')} scope${missing.length > 1 ? 's' : ''}.`;
      field.description = described ? `${described.trimEnd()} ${needs}` : needs;
    }
  }
}
