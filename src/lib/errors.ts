import { registerEnumType } from 'type-graphql';

/**
 * Every error a client can see has one of these codes in `extensions.code`. Codes are part of the API
 * contract: add, never rename.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  WINDOW_CLOSED = 'WINDOW_CLOSED',
  UNSUPPORTED_CONTENT = 'UNSUPPORTED_CONTENT',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  CONFLICT = 'CONFLICT',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  RATE_LIMITED = 'RATE_LIMITED',
  INBOX_ARCHIVED = 'INBOX_ARCHIVED',
  /** The customer opted out of this channel (replied STOP); nothing is sent until they opt back in. */
  OPTED_OUT = 'OPTED_OUT',
  /** A channel provider could not answer what was asked of it (unreachable, refused the credentials). */
  PROVIDER_UNAVAILABLE = 'PROVIDER_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

registerEnumType(ErrorCode, { name: 'ErrorCode', description: 'Stable error codes found in `extensions.code`.' });

/** One wrong input field: `path` names it as the client wrote it (e.g. `input.content.text.body`). */
export interface FieldViolation {
  field: string;
  message: string;
}

/**
 * A domain error: thrown by services, turned into a GraphQL error in exactly one place
 * (`toGraphQLError`). Anything that is not an AppError is masked before it reaches a client.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

/** Shorthands that keep call sites readable and messages uniform. */
export const Errors = {
  unauthenticated: (message = 'A valid bearer token is required.') => new AppError(ErrorCode.UNAUTHENTICATED, message),
  forbidden: (message: string, details: Record<string, unknown> = {}) => new AppError(ErrorCode.FORBIDDEN, message, details),
  /** Same answer for "does not exist" and "not yours": existence is never revealed across tenants. */
  notFound: (what: string, id: string) => new AppError(ErrorCode.NOT_FOUND, `${what} ${id} was not found.`, { id }),
  badInput: (violations: FieldViolation[], message?: string) =>
    new AppError(ErrorCode.BAD_USER_INPUT, message ?? violations.map((v) => `${v.field}: ${v.message}`).join('; '), {
      fields: violations,
    }),
  field: (field: string, message: string) => Errors.badInput([{ field, message }]),
} as const;
