import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import type { AppDeps } from '../../graphql/context';
import { ErrorCode } from '../../lib/errors';
import { isIdOf } from '../../lib/ids';
import { authenticate } from '../auth/auth.service';
import { Scope } from '../auth/scopes';
import { bearerFrom } from '../auth/token';
import { MEDIA_ROUTE, verifyMediaSignature } from './media-url';
import { Media } from './media.entity';

/**
 * `Content-Disposition: inline` with the stored filename: a quoted ASCII fallback (quotes,
 * backslashes, `%` and non-ASCII replaced) plus the exact name as RFC 5987 `filename*`.
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `inline; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** One answer for "no such media", "not yours" and "bad or expired signature": existence stays hidden. */
function notFound(res: Response): void {
  res.status(404).json({ errors: [{ message: 'Not found.', extensions: { code: ErrorCode.NOT_FOUND } }] });
}

/**
 * Whether this request may read `media`: a valid unexpired signature, or a bearer token of its
 * tenant that may read conversations (conversation:read, as `node(id)` asks for media).
 */
async function mayRead(deps: AppDeps, req: Request, media: Media): Promise<boolean> {
  const { mediaSigningSecret } = deps.config;
  if (verifyMediaSignature(mediaSigningSecret, media.id, req.query.exp, req.query.sig)) return true;
  const token = bearerFrom(req.headers.authorization);
  if (!token) return false;
  const viewer = await authenticate(deps.db.em.fork(), token);
  return viewer !== null && viewer.tenantId === media.tenantId && viewer.scopes.has(Scope.CONVERSATION_READ);
}

/**
 * `GET /media/:id`: streams a stored file to someone allowed to see it, with the sniffed
 * Content-Type and `nosniff` so browsers never reinterpret it; 404 for everyone else.
 */
export function createMediaRouter(deps: AppDeps): Router {
  const router = express.Router();
  router.get(`${MEDIA_ROUTE}/:id`, async (req: Request<{ id: string }>, res: Response) => {
    const { id } = req.params;
    if (!isIdOf('media', id)) return notFound(res);
    const media = await deps.db.em.fork().findOne(Media, { id });
    if (!media || !(await mayRead(deps, req, media))) return notFound(res);
    const body = await deps.mediaStorage.get(media.storageKey);
    if (!body) {
      deps.logger.error({ mediaId: media.id, storageKey: media.storageKey }, 'media row exists but storage has no object');
      return notFound(res);
    }
    res.status(200);
    res.setHeader('Content-Type', media.mimeType);
    res.setHeader('Content-Length', String(media.size));
    res.setHeader('Content-Disposition', contentDisposition(media.filename));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, max-age=0');
    try {
      await pipeline(body, res);
    } catch {
      // The client went away or the read failed midway: nothing more can be said on this response.
      body.destroy();
      res.destroy();
    }
  });
  return router;
}
