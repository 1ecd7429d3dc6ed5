import {
  GraphQLError,
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  validate,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Limits } from '../config';
import { ErrorCode } from '../lib/errors';

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

interface Walk {
  depth: number;
  aliases: number;
  cost: number;
}

/**
 * Depth, alias and cost limits as one validation rule, so HTTP and websocket operations are held to
 * the same bounds before anything executes. Cost counts every field once, multiplied by the page
 * size of each enclosing list (connections use first/last, default 20; other lists count 20).
 * Cost needs the variables (page sizes are usually variables): without them only depth and
 * aliases are checked, and `costLimitPlugin` checks cost once Apollo has the variables.
 */
export function limitsRule(limits: Limits, variables?: Record<string, unknown>): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    const schema = context.getSchema();

    const walk = (
      set: SelectionSetNode,
      parentType: GraphQLOutputType | null,
      depth: number,
      multiplier: number,
      seen: Set<string>,
      acc: Walk,
    ) => {
      acc.depth = Math.max(acc.depth, depth);
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue;
          if (sel.alias) acc.aliases++;
          const named = parentType ? getNamedType(parentType) : null;
          const fieldDef = named && 'getFields' in named ? named.getFields()[sel.name.value] : undefined;
          let type: GraphQLOutputType | null = fieldDef?.type ?? null;
          let isList = false;
          while (type && (isNonNullType(type) || isListType(type))) {
            if (isListType(type)) isList = true;
            type = isNonNullType(type) ? type.ofType : (type as { ofType: GraphQLOutputType }).ofType;
          }
          const isConnection = fieldDef ? getNamedType(fieldDef.type).name.endsWith('Connection') : false;
          // A connection's page size already counts its rows; its edges/nodes lists do not multiply again.
          const insideConnection = named?.name.endsWith('Connection') ?? false;
          const size = isConnection ? pageSizeOf(sel, variables ?? {}, 20) : isList && !insideConnection ? 20 : 1;
          acc.cost += multiplier;
          if (sel.selectionSet) walk(sel.selectionSet, fieldDef?.type ?? null, depth + 1, multiplier * Math.max(size, 1), seen, acc);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const typeCond = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) as GraphQLOutputType) : parentType;
          walk(sel.selectionSet, typeCond, depth, multiplier, seen, acc);
        } else {
          const frag = fragments.get(sel.name.value);
          if (!frag || seen.has(frag.name.value)) continue; // cycles are reported by graphql's own rules
          walk(
            frag.selectionSet,
            schema.getType(frag.typeCondition.name.value) as GraphQLOutputType,
            depth,
            multiplier,
            new Set([...seen, frag.name.value]),
            acc,
          );
        }
      }
    };

    return {
      OperationDefinition(op) {
        const root =
          op.operation === 'query'
            ? schema.getQueryType()
            : op.operation === 'mutation'
              ? schema.getMutationType()
              : schema.getSubscriptionType();
        const acc: Walk = { depth: 0, aliases: 0, cost: 0 };
        walk(op.selectionSet, root ?? null, 1, 1, new Set(), acc);
        if (acc.depth > limits.maxDepth) {
          context.reportError(
            tooComplex(`Query depth ${acc.depth} exceeds the limit of ${limits.maxDepth}.`, { depth: acc.depth, limit: limits.maxDepth }),
          );
        }
        if (acc.aliases > limits.maxAliases) {
          context.reportError(
            tooComplex(`Query uses ${acc.aliases} aliases; the limit is ${limits.maxAliases}.`, {
              aliases: acc.aliases,
              limit: limits.maxAliases,
            }),
          );
        }
        if (variables && acc.cost > limits.maxCost) {
          context.reportError(
            tooComplex(`Query cost ${acc.cost} exceeds the limit of ${limits.maxCost}.`, { cost: acc.cost, limit: limits.maxCost }),
          );
        }
      },
    };
  };
}

/**
 * Apollo plugin: the cost check with the request's variables, after parsing and validation and
 * before execution (validation rules never see variables).
 */
export function costLimitPlugin(limits: Limits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, schema }) {
          const errors = validate(schema, document, [limitsRule(limits, request.variables ?? {})]);
          if (errors.length) throw errors[0];
        },
      };
    },
  };
}
