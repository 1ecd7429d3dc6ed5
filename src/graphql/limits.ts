import {
  GraphQLError,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type ASTVisitor,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLOutputType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Limits } from '../config';
import { ErrorCode } from '../lib/errors';

/** What one operation asks of the server, as the limits count it. */
export interface OperationMeasure {
  /** Nested selection sets, the root one included (`{ viewer { id } }` is 2). */
  depth: number;
  aliases: number;
  /** Directive uses: on fields, fragments, spreads, the operation and its variables. */
  directives: number;
  /** Fields × the list sizes above them (see {@link measureOperation}). */
  cost: number;
  /** `__schema` selections (each is the whole schema). */
  schemaFields: number;
}

/** A `__schema` is the whole schema: one per operation, however it is reached (aliases, fragments). */
export const MAX_SCHEMA_FIELDS = 1;

function tooComplex(message: string, details: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, ...details } });
}

/** Page size a connection field will return, from its first/last argument (literal or variable). */
function pageSizeOf(field: FieldNode, variables: Record<string, unknown>, fallback: number): number {
  for (const arg of field.arguments ?? []) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    if (arg.value.kind === Kind.INT) return Number(arg.value.value);
    if (arg.value.kind === Kind.VARIABLE) {
      const v = variables[arg.value.name.value];
      if (typeof v === 'number') return v;
    }
  }
  return fallback;
}

/** Rows a plain (non-connection) list is assumed to return. */
const DEFAULT_LIST_SIZE = 20;

/**
 * Introspection lists return what the schema holds, so they are counted at the schema's own sizes
 * (rounded-up averages: `types × fields` then totals the schema's fields, as executing it would),
 * not at 20, which would price the standard introspection query far above any data query.
 */
interface IntrospectionSizes {
  /** List sizes by `Type.field`. */
  lists: Record<string, number>;
  /** The most wrappers (list, non-null) around any field or argument type: the longest `ofType` chain that is not null. */
  wrapping: number;
}

const introspectionSizesBySchema = new WeakMap<GraphQLSchema, IntrospectionSizes>();

function introspectionSizes(schema: GraphQLSchema): IntrospectionSizes {
  const cached = introspectionSizesBySchema.get(schema);
  if (cached) return cached;
  const types = Object.values(schema.getTypeMap());
  // Exact averages, not rounded up: a field with 0.4 arguments on average must not count as 1.
  const mean = (total: number, count: number) => total / Math.max(1, count);
  const withFields = types.filter((t) => isObjectType(t) || isInterfaceType(t));
  const fields = withFields.flatMap((t) => Object.values(t.getFields()) as GraphQLField<unknown, unknown>[]);
  const abstract = types.filter(isAbstractType);
  const enums = types.filter(isEnumType);
  const inputs = types.filter(isInputObjectType);
  const directives = schema.getDirectives();
  const wrappers = (type: GraphQLType): number => (isListType(type) || isNonNullType(type) ? 1 + wrappers(type.ofType) : 0);
  const typed = [
    ...fields.flatMap((f) => [f.type, ...f.args.map((a) => a.type)]),
    ...inputs.flatMap((t) => Object.values(t.getFields()).map((f) => f.type)),
    ...directives.flatMap((d) => d.args.map((a) => a.type)),
  ];
  const lists: Record<string, number> = {
    '__Schema.types': types.length,
    '__Schema.directives': directives.length,
    '__Type.fields': mean(fields.length, withFields.length),
    '__Type.interfaces': mean(
      withFields.reduce((n, t) => n + t.getInterfaces().length, 0),
      withFields.length,
    ),
    '__Type.possibleTypes': mean(
      abstract.reduce((n, t) => n + schema.getPossibleTypes(t).length, 0),
      abstract.length,
    ),
    '__Type.enumValues': mean(
      enums.reduce((n, t) => n + t.getValues().length, 0),
      enums.length,
    ),
    '__Type.inputFields': mean(
      inputs.reduce((n, t) => n + Object.keys(t.getFields()).length, 0),
      inputs.length,
    ),
    '__Field.args': mean(
      fields.reduce((n, f) => n + f.args.length, 0),
      fields.length,
    ),
    '__Directive.args': mean(
      directives.reduce((n, d) => n + d.args.length, 0),
      directives.length,
    ),
  };
  const sizes: IntrospectionSizes = { lists, wrapping: Math.max(0, ...typed.map(wrappers)) };
  introspectionSizesBySchema.set(schema, sizes);
  return sizes;
}

/** A field's definition, the introspection meta-fields included (they are not in `getFields()`). */
function fieldDefOf(schema: GraphQLSchema, parent: GraphQLOutputType | null, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  const named = parent ? getNamedType(parent) : null;
  if (!named) return undefined;
  if (named === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return isObjectType(named) || isInterfaceType(named) ? named.getFields()[name] : undefined;
}

const countDirectives = (directives: readonly DirectiveNode[] | undefined) => directives?.length ?? 0;

const ZERO: OperationMeasure = { depth: 0, aliases: 0, directives: 0, cost: 0, schemaFields: 0 };

/**
 * Measures one operation: depth, aliases, directives, `__schema` count and cost. Every field counts,
 * introspection and `__typename` included. Cost counts every field once, multiplied by the size of
 * each enclosing list: connections use first/last (default 20; their edges/nodes lists do not
 * multiply again), introspection lists the schema's own sizes, other lists 20. Without `variables`,
 * a page size given by a variable counts as the default. Each fragment is measured once and reused
 * wherever it is spread, so nested spreads cost arithmetic, not a walk per spread.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const fragmentMeasures = new Map<string, OperationMeasure>();
  const inProgress = new Set<string>();
  const sizes = introspectionSizes(schema);

  /** Adds a nested measure found `levels` deeper, whose cost scales with `multiplier`. */
  const add = (into: OperationMeasure, part: OperationMeasure, levels: number, multiplier: number) => {
    into.depth = Math.max(into.depth, part.depth + levels);
    into.aliases += part.aliases;
    into.directives += part.directives;
    into.cost += part.cost * multiplier;
    into.schemaFields += part.schemaFields;
  };

  const fragmentMeasure = (name: string, ofTypeRun: number): OperationMeasure => {
    const key = `${name}@${ofTypeRun}`;
    const known = fragmentMeasures.get(key);
    if (known) return known;
    const fragment = fragments.get(name);
    // Unknown fragments and cycles are reported by graphql's own rules.
    if (!fragment || inProgress.has(key)) return ZERO;
    inProgress.add(key);
    const measure = measureSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) as GraphQLOutputType, ofTypeRun);
    measure.directives += countDirectives(fragment.directives);
    inProgress.delete(key);
    fragmentMeasures.set(key, measure);
    return measure;
  };

  /**
   * One selection set at multiplier 1; its depth counts itself. `ofTypeRun` is how many `ofType`
   * levels lead here: past the schema's deepest type wrapping (`[T!]!` is 3) `ofType` is null, so
   * what it selects is never resolved and costs nothing.
   */
  function measureSet(set: SelectionSetNode, parentType: GraphQLOutputType | null, ofTypeRun = 0): OperationMeasure {
    const measure: OperationMeasure = { ...ZERO, depth: 1 };
    const parentName = parentType ? getNamedType(parentType).name : '';
    for (const sel of set.selections) {
      measure.directives += countDirectives(sel.directives);
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (sel.alias) measure.aliases++;
        if (name === SchemaMetaFieldDef.name) measure.schemaFields++;
        measure.cost += 1;
        if (!sel.selectionSet) continue;
        const fieldDef = fieldDefOf(schema, parentType, name);
        let type: GraphQLOutputType | null = fieldDef?.type ?? null;
        let isList = false;
        while (type && (isNonNullType(type) || isListType(type))) {
          if (isListType(type)) isList = true;
          type = (type as { ofType: GraphQLOutputType }).ofType;
        }
        const isConnection = fieldDef ? getNamedType(fieldDef.type).name.endsWith('Connection') : false;
        // A connection's page size already counts its rows; its edges/nodes lists do not multiply again.
        const insideConnection = parentName.endsWith('Connection');
        const introspected = sizes.lists[`${parentName}.${name}`];
        const size =
          introspected !== undefined
            ? introspected
            : Math.max(
                1,
                isConnection ? pageSizeOf(sel, variables, DEFAULT_LIST_SIZE) : isList && !insideConnection ? DEFAULT_LIST_SIZE : 1,
              );
        // `ofType` unwraps `[T!]!` one wrapper at a time: a chain, never a fan-out, ending at the
        // first named type; tools ask for 9 levels of it, so it adds no depth (it still costs).
        const isOfType = parentName === '__Type' && name === 'ofType';
        const run = isOfType ? ofTypeRun + 1 : 0;
        if (run > sizes.wrapping) continue;
        add(measure, measureSet(sel.selectionSet, fieldDef?.type ?? null, run), isOfType ? 0 : 1, size);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const typeCond = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) as GraphQLOutputType) : parentType;
        add(measure, measureSet(sel.selectionSet, typeCond, ofTypeRun), 0, 1);
      } else {
        add(measure, fragmentMeasure(sel.name.value, ofTypeRun), 0, 1);
      }
    }
    return measure;
  }

  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const measure = measureSet(operation.selectionSet, root ?? null);
  measure.cost = Math.ceil(measure.cost);
  measure.directives +=
    countDirectives(operation.directives) + (operation.variableDefinitions ?? []).reduce((n, v) => n + countDirectives(v.directives), 0);
  return measure;
}

/** Which limits to check: cost only once the variables (page sizes) are known. */
interface Checks {
  shape: boolean;
  cost: boolean;
}

/** The limits an operation exceeds, as QUERY_TOO_COMPLEX errors naming the limit (empty: within limits). */
export function limitViolations(measure: OperationMeasure, limits: Limits, checks: Checks): GraphQLError[] {
  const errors: GraphQLError[] = [];
  if (checks.shape) {
    if (measure.depth > limits.maxDepth) {
      errors.push(
        tooComplex(`Query depth ${measure.depth} exceeds the limit of ${limits.maxDepth}.`, {
          depth: measure.depth,
          limit: limits.maxDepth,
        }),
      );
    }
    if (measure.aliases > limits.maxAliases) {
      errors.push(
        tooComplex(`Query uses ${measure.aliases} aliases; the limit is ${limits.maxAliases}.`, {
          aliases: measure.aliases,
          limit: limits.maxAliases,
        }),
      );
    }
    if (measure.directives > limits.maxDirectives) {
      errors.push(
        tooComplex(`Query uses ${measure.directives} directives; the limit is ${limits.maxDirectives}.`, {
          directives: measure.directives,
          limit: limits.maxDirectives,
        }),
      );
    }
    if (measure.schemaFields > MAX_SCHEMA_FIELDS) {
      errors.push(
        tooComplex(`Query selects __schema ${measure.schemaFields} times; an operation may select it once.`, {
          schemaFields: measure.schemaFields,
          limit: MAX_SCHEMA_FIELDS,
        }),
      );
    }
  }
  if (checks.cost && measure.cost > limits.maxCost) {
    errors.push(
      tooComplex(`Query cost ${measure.cost} exceeds the limit of ${limits.maxCost}.`, { cost: measure.cost, limit: limits.maxCost }),
    );
  }
  return errors;
}

/**
 * Depth, alias, directive, `__schema` and cost limits as one validation rule, so HTTP and websocket
 * operations are held to the same bounds before anything executes. Cost needs the variables (page
 * sizes are usually variables): without them it is left to `costLimitPlugin`, which runs once
 * Apollo has them.
 */
export function limitsRule(limits: Limits, variables?: Record<string, unknown>): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(op) {
      const measure = measureOperation(context.getSchema(), context.getDocument(), op, variables);
      for (const error of limitViolations(measure, limits, { shape: true, cost: variables !== undefined })) context.reportError(error);
    },
  });
}

/**
 * Apollo plugin: the cost check with the request's variables, after parsing and validation and
 * before execution (validation rules never see variables). Its refusal carries HTTP 400.
 */
export function costLimitPlugin(limits: Limits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) return;
          const measure = measureOperation(schema, document, operation, request.variables ?? {});
          const [error] = limitViolations(measure, limits, { shape: false, cost: true });
          // Thrown here, an error without an HTTP status is a 500; Apollo takes the status off the extensions.
          if (error) throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}

/** graphql-js's message when `parse(…, { maxTokens })` gives up. */
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;

/**
 * A parse aborted by the token limit, reported as the limit it is (QUERY_TOO_COMPLEX naming the
 * limit) instead of a syntax error; any other error is returned as it is.
 */
export function tokenLimitRefusal(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const match = TOKEN_LIMIT.exec(formatted.message);
  if (!match) return formatted;
  const limit = Number(match[1]);
  return {
    message: `The document has more than ${limit} tokens; the limit is ${limit}.`,
    extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit },
  };
}
