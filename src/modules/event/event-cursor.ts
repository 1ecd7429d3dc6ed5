import { Errors } from '../../lib/errors';

/**
 * Event-log cursors as clients see them: opaque strings (base64url of `evt:<seq>`). They carry no
 * tenant: a cursor is only ever interpreted against the viewer's own tenant log, so a cursor taken
 * from another workspace names nothing there (and an impossible one resyncs, see cursorProblem).
 */
const PREFIX = 'evt:';

/** The opaque cursor of the event with this per-tenant sequence number (0 = before the first event). */
export function encodeEventCursor(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`, 'utf8').toString('base64url');
}

/** The sequence number inside a cursor this API issued, or BAD_USER_INPUT naming `field`. */
export function decodeEventCursor(field: string, cursor: string): number {
  const invalid = () => Errors.field(field, 'is not a valid event cursor; pass the `cursor` of an event you received.');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw invalid();
  const match = /^evt:(0|[1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw invalid();
  const seq = Number(match[1]);
  // Only the canonical spelling is accepted, so one event has exactly one cursor.
  if (!Number.isSafeInteger(seq) || encodeEventCursor(seq) !== cursor) throw invalid();
  return seq;
}
