import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { graphqlUploadExpress } from 'graphql-upload-ts';
import type { Config } from '../../config';
import { ErrorCode } from '../../lib/errors';
import { maxUploadBytes } from './upload-inspector';

/** Status the multipart parser gives a request whose client went away mid-body. */
const CLIENT_CLOSED = 499;

/**
 * The GraphQL multipart request parser (graphql-upload-ts) for the /graphql chain, placed before
 * Apollo: one file per request, no larger than the largest per-kind limit (the exact per-kind
 * limit is enforced while the resolver streams the file). The parser's own refusals (malformed
 * multipart, too many files, body over the ceiling) are the client's fault and are answered as
 * GraphQL-shaped errors rather than reaching the generic 500 handler.
 */
export function mediaUploadMiddleware(config: Config): RequestHandler {
  const parse = graphqlUploadExpress({
    maxFileSize: maxUploadBytes(config.uploadLimits),
    maxFiles: 1,
    maxFieldSize: config.limits.maxBodyBytes,
  });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = (err as { status?: unknown }).status;
      if (typeof status !== 'number' || status >= 500) return next(err);
      if (status === CLIENT_CLOSED) return void res.destroy();
      const code = status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : 'BAD_REQUEST';
      res.status(status).json({ errors: [{ message: (err as Error).message, extensions: { code } }] });
    });
}
