import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { graphqlUploadExpress, Upload } from 'graphql-upload-ts';
import type { Config } from '../../config';
import { ErrorCode, type FieldViolation } from '../../lib/errors';
import { maxUploadBytes } from './upload-inspector';

/** Status the multipart parser gives a request whose client went away mid-body. */
const CLIENT_CLOSED = 499;

/** An Upload the `map` placed into the operation's variables, and the variable path it sits at. */
interface MappedUpload {
  field: string;
  upload: Upload;
}

/** Every Upload in the parsed operation(s), by variable path (`file`, `input.attachment`, `0.file` for a batch). */
function mappedUploads(body: unknown): MappedUpload[] {
  const found: MappedUpload[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (value instanceof Upload) found.push({ field: path.join('.'), upload: value });
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  const operations = Array.isArray(body) ? body : [body];
  operations.forEach((op, i) => {
    const variables = (op as { variables?: unknown } | null)?.variables;
    walk(variables, Array.isArray(body) ? [String(i)] : []);
  });
  return found;
}

/** The multipart field a parser message is about (its messages quote the field name). */
function multipartFieldOf(message: string): string {
  if (/‘map’/.test(message)) return 'map';
  if (/‘operations’/.test(message)) return 'operations';
  return 'multipart';
}

const statusOf = (err: unknown) => {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
};

function refuse(res: Response, status: number, message: string, violations: FieldViolation[] = []): void {
  const code = status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_USER_INPUT;
  res
    .status(status)
    .json({ errors: [{ message, extensions: { code, ...(code === ErrorCode.BAD_USER_INPUT ? { fields: violations } : {}) } }] });
}

/**
 * The GraphQL multipart request parser (graphql-upload-ts) for the /graphql chain, placed before
 * Apollo: one file per request, no larger than the largest per-kind limit (the exact per-kind
 * limit is enforced while the resolver streams the file). Client mistakes never reach the resolver
 * or the generic 500 handler: a malformed `operations` or `map` is 400 BAD_USER_INPUT naming that
 * field, and a `map` that promises a file part the request does not contain is 400 BAD_USER_INPUT
 * naming the variable. The operation runs once every mapped file part has begun to arrive (its bytes
 * still stream to the resolver), so such a request writes nothing.
 */
export function mediaUploadMiddleware(config: Config): RequestHandler {
  const parse = graphqlUploadExpress({
    maxFileSize: maxUploadBytes(config.uploadLimits),
    maxFiles: 1,
    maxFieldSize: config.limits.maxBodyBytes,
  });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: unknown) => {
      if (err) {
        const status = statusOf(err);
        if (status === undefined || status >= 500) return next(err);
        if (status === CLIENT_CLOSED) return void res.destroy();
        const message = (err as Error).message;
        return refuse(res, status, message, [{ field: multipartFieldOf(message), message }]);
      }
      const uploads = mappedUploads(req.body);
      if (uploads.length === 0) return next();
      // A file part the map promised but the body never contained is only known when the body ends.
      void Promise.allSettled(uploads.map((u) => u.upload.promise)).then((settled) => {
        const failed = settled.findIndex((s) => s.status === 'rejected');
        if (failed === -1) return next();
        const reason = (settled[failed] as PromiseRejectedResult).reason as unknown;
        const status = statusOf(reason) ?? 400;
        if (status === CLIENT_CLOSED) return void res.destroy();
        const { field } = uploads[failed];
        const message =
          status === 413
            ? (reason as Error).message
            : `The multipart \`map\` names a file part for \`${field}\` that is not in the request.`;
        refuse(res, status === 413 ? 413 : 400, message, [{ field, message }]);
      });
    });
}
