import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import type { AppDeps } from '../../graphql/context';
import { ErrorCode } from '../../lib/errors';
import { isIdOf } from '../../lib/ids';
import { authenticate } from '../auth/auth.service';
import { Scope } from '../auth/scopes';
import { bearerFrom } from '../auth/token';
import { MEDIA_ROUTE, verifyMediaSignature } from './media-url';
import { mayViewMedia, mediaUsesOf } from './media-visibility';
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
 * The media row this request may read, or null. Who is asking is settled before the row is looked
 * up — a valid unexpired signature for this id, or a bearer token that may read conversations
 * (conversation:read, as `node(id)` asks for media) and who may see the media (it follows the
 * messages that use it) — and the lookup then carries the tenant in SQL, so an id of another tenant and an id that does not exist take the same path, run the same
 * statement and get the same answer in the same time.
 */
async function readableMedia(deps: AppDeps, req: Request, id: string): Promise<Media | null> {
  const em = deps.db.em.fork();
  if (verifyMediaSignature(deps.config.mediaSigningSecret, id, req.query.exp, req.query.sig)) return em.findOne(Media, { id });
  const token = bearerFrom(req.headers.authorization);
  if (!token) return null;
  const viewer = await authenticate(em, token);
  if (!viewer || !viewer.scopes.has(Scope.CONVERSATION_READ)) return null;
  const media = await em.findOne(Media, { id, tenantId: viewer.tenantId });
  // Asked whether or not the row exists, so a foreign id costs what a missing one does.
  const uses = await mediaUsesOf(em, [id]);
  return media && mayViewMedia(viewer, media, uses.get(id) ?? []) ? media : null;
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
    const media = await readableMedia(deps, req, id);
    if (!media) return notFound(res);
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
