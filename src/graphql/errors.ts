import { unwrapResolverError } from '@apollo/server/errors';
import {
  GraphQLError,
  Kind,
  parse,
  visit,
  type ArgumentNode,
  type ASTNode,
  type GraphQLFormattedError,
  type ObjectFieldNode,
  type Source,
} from 'graphql';
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
 * BAD_USER_INPUT naming the argument, like variable coercion errors. So is a `@oneOf` input with
 * zero, several or a null alternative.
 */
const BAD_VALUE =
  /^(?:Value ".*" does not exist in ".*" enum|Enum ".*" cannot represent|Int cannot represent|Float cannot represent|String cannot represent|ID cannot represent|Boolean cannot represent|Expected value of type|Field ".*" of required type|Field ".*" is not defined by type|OneOf Input Object ".*" must specify exactly one key|Field "\w+\.\w+" must be non-null|Variable "\$[^"]+" got invalid value)/;

/**
 * Above this size a document's bad values are reported without naming their argument: indexing a
 * large document costs more than a field name is worth to anyone sending one.
 */
export const MAX_INDEXED_SOURCE_CHARS = 64 * 1024;

/**
 * Where each argument value of a document starts → its dotted argument path (`filter.status`).
 * Built once per document (one parse, one walk) however many errors point into it; keyed by the
 * graphql-js Source every error of a request shares, so entries go when the request's document does.
 */
const argumentPathsBySource = new WeakMap<Source, ReadonlyMap<number, string> | null>();

function argumentPaths(source: Source): ReadonlyMap<number, string> | null {
  if (argumentPathsBySource.has(source)) return argumentPathsBySource.get(source)!;
  let paths: Map<number, string> | null = null;
  if (source.body.length <= MAX_INDEXED_SOURCE_CHARS) {
    paths = new Map();
    try {
      const found = paths;
      visit(parse(source), {
        enter(node, _key, parent, _path, ancestors) {
          const start = node.loc?.start;
          if (start === undefined || node.kind === Kind.ARGUMENT || found.has(start)) return;
          // `ancestors` stops above the parent: a value given straight to an argument has it as parent.
          const names = [...ancestors, parent, node]
            .filter(
              (a): a is ArgumentNode | ObjectFieldNode =>
                !!a && !Array.isArray(a) && ((a as ASTNode).kind === Kind.ARGUMENT || (a as ASTNode).kind === Kind.OBJECT_FIELD),
            )
            .map((a) => a.name.value);
          if (names.length) found.set(start, names.join('.'));
        },
      });
    } catch {
      paths = null;
    }
  }
  argumentPathsBySource.set(source, paths);
  return paths;
}

/**
 * Names the argument a bad value was given for, as a dotted path (`filter.status`): from the
 * message for variables, and for literals from the document's argument index (see argumentPaths).
 */
function argumentName(error: GraphQLError): string | undefined {
  const fromVariable = /^Variable "\$([^"]+)" got invalid value.*?(?: at "([^"]+)")?;/.exec(error.message);
  if (fromVariable) return fromVariable[2] ? `${fromVariable[1]}.${fromVariable[2].replace(/^[^.]+\./, '')}` : fromVariable[1];
  const position = error.positions?.[0];
  if (!error.source || position === undefined) return undefined;
  return argumentPaths(error.source)?.get(position);
}

/**
 * graphql-js quotes the whole rejected variable value (`Variable "$input" got invalid value { …,
 * accessToken: "…" } at "input.settings"; reason`): a provider secret sent beside a bad field would
 * come back in the answer and land in logs. The value is dropped; the path and reason stay.
 */
function withoutEchoedValue(message: string, error: unknown): string {
  const reason = error instanceof GraphQLError ? error.originalError?.message : undefined;
  const head = /^Variable "\$[^"]+" got invalid value /.exec(message);
  if (!head || !reason || !message.endsWith(`; ${reason}`)) return message;
  const quoted = message.slice(head[0].length, message.length - reason.length - 2);
  const at = / at "[^"]*"$/.exec(quoted);
  return `${head[0].trimEnd()}${at ? at[0] : ''}; ${reason}`;
}

/** How an error reaches the client; deciding it is cheap (no document is read). */
type ErrorKind = 'app' | 'too-complex' | 'bad-value' | 'request' | 'internal';

/** The AppError behind an error: thrown by a resolver, or wrapped by a plugin or the websocket layer. */
function appErrorOf(error: unknown): AppError | null {
  const unwrapped = unwrapResolverError(error);
  if (unwrapped instanceof AppError) return unwrapped;
  return error instanceof GraphQLError && error.originalError instanceof AppError ? error.originalError : null;
}

function classify(code: string | undefined, error: unknown): ErrorKind {
  if (appErrorOf(error)) return 'app';
  // Apollo re-labels every validation error GRAPHQL_VALIDATION_FAILED; our limit rules carry their own code.
  const inner = error instanceof GraphQLError ? error.originalError : undefined;
  if (inner instanceof GraphQLError && inner.extensions?.code === ErrorCode.QUERY_TOO_COMPLEX) return 'too-complex';
  if (error instanceof GraphQLError && (code === 'GRAPHQL_VALIDATION_FAILED' || code === 'BAD_USER_INPUT') && BAD_VALUE.test(error.message))
    return 'bad-value';
  if (code && REQUEST_ERROR_CODES.has(code)) return 'request';
  return 'internal';
}

/**
 * Whether toClientError would mask this error (so the server must log it), without building the
 * client's view of it: `code` is the error's `extensions.code` as Apollo reports it.
 */
export function isMaskedError(error: unknown, code: unknown): boolean {
  return classify(typeof code === 'string' ? code : undefined, error) === 'internal';
}

/**
 * The one place errors become what a client sees. AppErrors keep their code and details; request
 * errors pass through; everything else is masked (and must be logged by the caller with its id).
 */
export function toClientError(formatted: GraphQLFormattedError, error: unknown): { error: GraphQLFormattedError; masked: boolean } {
  const code = formatted.extensions?.code as string | undefined;
  switch (classify(code, error)) {
    case 'app': {
      const original = appErrorOf(error)!;
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
    case 'too-complex': {
      const inner = (error as GraphQLError).originalError as GraphQLError;
      return { masked: false, error: { message: inner.message, locations: formatted.locations, extensions: { ...inner.extensions } } };
    }
    case 'bad-value': {
      const field = argumentName(error as GraphQLError);
      const message = withoutEchoedValue(formatted.message, error);
      return {
        masked: false,
        error: {
          message,
          locations: formatted.locations,
          extensions: { code: ErrorCode.BAD_USER_INPUT, ...(field ? { fields: [{ field, message }] } : {}) },
        },
      };
    }
    case 'request': {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { masked: false, error: { ...formatted, extensions } };
    }
    case 'internal':
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
}
