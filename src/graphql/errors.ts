import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, Kind, parse, visit, type ArgumentNode, type ASTNode, type GraphQLFormattedError, type ObjectFieldNode } from 'graphql';
import { AppError, ErrorCode } from '../lib/errors';

/** Codes that graphql-js/Apollo produce for malformed requests; safe to show as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  ErrorCode.QUERY_TOO_COMPLEX,
]);

/**
 * Argument literals that do not fit their type ("Value "FOO" does not exist in "ConversationStatus"
 * enum", "Int cannot represent…") are bad input, not malformed GraphQL: report them as
 * BAD_USER_INPUT naming the argument, like variable coercion errors.
 */
const BAD_VALUE = /^(?:Value ".*" does not exist in ".*" enum|Enum ".*" cannot represent|Int cannot represent|Float cannot represent|String cannot represent|ID cannot represent|Boolean cannot represent|Expected value of type|Field ".*" of required type|Field ".*" is not defined by type|Variable "\$[^"]+" got invalid value)/;

/**
 * Names the argument a bad value was given for, as a dotted path (`filter.status`): from the
 * message for variables, and for literals by locating the value in the document and reading the
 * Argument/ObjectField nodes around it.
 */
function argumentName(error: GraphQLError): string | undefined {
  const fromVariable = /^Variable "\$([^"]+)" got invalid value.*?(?: at "([^"]+)")?;/.exec(error.message);
  if (fromVariable) return fromVariable[2] ? `${fromVariable[1]}.${fromVariable[2].replace(/^[^.]+\./, '')}` : fromVariable[1];
  const position = error.positions?.[0];
  if (!error.source || position === undefined) return undefined;
  let found: string | undefined;
  try {
    visit(parse(error.source), {
      enter(node, _key, _parent, _path, ancestors) {
        if (found || node.loc?.start !== position || !('kind' in node) || node.kind === Kind.ARGUMENT) return;
        const names = [...ancestors, node]
          .filter((a): a is ArgumentNode | ObjectFieldNode => !Array.isArray(a) && (a as ASTNode).kind !== undefined && ((a as ASTNode).kind === Kind.ARGUMENT || (a as ASTNode).kind === Kind.OBJECT_FIELD))
          .map((a) => a.name.value);
        if (names.length) found = names.join('.');
      },
    });
  } catch {
    return undefined;
  }
  return found;
}

/**
 * The one place errors become what a client sees. AppErrors keep their code and details; request
 * errors pass through; everything else is masked (and must be logged by the caller with its id).
 */
export function toClientError(formatted: GraphQLFormattedError, error: unknown): { error: GraphQLFormattedError; masked: boolean } {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    return {
      masked: false,
      error: {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, ...original.details },
      },
    };
  }
  // Apollo re-labels every validation error GRAPHQL_VALIDATION_FAILED; our limit rules carry their own code.
  const inner = error instanceof GraphQLError ? error.originalError : undefined;
  if (inner instanceof GraphQLError && inner.extensions?.code === ErrorCode.QUERY_TOO_COMPLEX) {
    return { masked: false, error: { message: inner.message, locations: formatted.locations, extensions: { ...inner.extensions } } };
  }
  const code = formatted.extensions?.code as string | undefined;
  const requestError = error instanceof GraphQLError ? error : null;
  if (requestError && (code === 'GRAPHQL_VALIDATION_FAILED' || code === 'BAD_USER_INPUT') && BAD_VALUE.test(requestError.message)) {
    const field = argumentName(requestError);
    return {
      masked: false,
      error: {
        message: formatted.message,
        locations: formatted.locations,
        extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { fields: [{ field, message: formatted.message }] } : {}) },
      },
    };
  }
  if (code && REQUEST_ERROR_CODES.has(code)) {
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { masked: false, error: { ...formatted, extensions } };
  }
  return {
    masked: true,
    error: {
      message: 'Internal server error.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    },
  };
}
