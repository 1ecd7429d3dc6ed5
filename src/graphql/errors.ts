import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
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

function argumentName(error: GraphQLError): string | undefined {
  const fromVariable = /^Variable "\$([^"]+)" got invalid value.*?(?: at "([^"]+)")?;/.exec(error.message);
  if (fromVariable) return fromVariable[2] ? `${fromVariable[1]}.${fromVariable[2].replace(/^[^.]+\./, '')}` : fromVariable[1];
  const node = error.nodes?.[0] as { kind?: string; name?: { value: string } } | undefined;
  return node?.kind === 'Argument' || node?.kind === 'ObjectField' ? node.name?.value : undefined;
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
  const code = formatted.extensions?.code as string | undefined;
  if (error instanceof GraphQLError && !error.originalError && BAD_VALUE.test(error.message)) {
    const field = argumentName(error);
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
