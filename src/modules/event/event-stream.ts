import type { AppContext } from '../../graphql/context';
import { mapAsyncIterator, prependAsyncIterator, SKIP } from '../../lib/async-iterators';
import { Errors } from '../../lib/errors';
import { Topics } from '../../pubsub/pubsub';
import type { Viewer } from '../auth/viewer';
import { checkCursor, CursorProblem, readEvents } from './event-log.service';
import type { EventType } from './event-type';
import { toEventMessage, type EventMessage } from './event.service';
import { replayThenLive } from './replay-then-live';

/** Where a subscription's viewer comes from: re-authenticated so revocation and membership changes apply. */
export interface ViewerSource {
  /** Authenticates again now; null when the token no longer authenticates. */
  refresh(): Promise<Viewer | null>;
  /** A viewer at least as fresh as event `seq` (re-authenticated once per event per token, shared by every connection using it). */
  viewerAt(seq: number): Promise<Viewer | null>;
}

/** Why a resume point was given up on, delivered as a ResyncRequired event. */
export interface ResyncInfo {
  problem: CursorProblem;
  /** Lowest seq a client may still resume after. */
  oldestResumable: number;
  at: Date;
}

/**
 * One event as a subscription delivers it, with the viewer it was authorised for. The websocket
 * executor builds the event's context (fresh EntityManager fork and loaders) for exactly this viewer.
 */
export class LiveEvent {
  constructor(
    readonly seq: number,
    readonly viewer: Viewer,
    readonly event: EventMessage | null,
    readonly resync: ResyncInfo | null = null,
  ) {}
}

/** What a subscription listens to; ids are already parsed and authorised at subscribe time. */
export interface EventStreamScope {
  inboxId?: string | null;
  /** With its inbox, so a lost membership can be told apart from an unrelated event. */
  conversation?: { id: string; inboxId: string } | null;
  types?: readonly EventType[] | null;
}

/** Log rows read per query while replaying. */
const PAGE_SIZE = 200;

interface StreamItem {
  seq: number;
  event: EventMessage | null;
  resync?: ResyncInfo;
  /** Set on items read from the log, which were filtered with this (fresh) viewer's visibility. */
  viewer?: Viewer;
}

function inScope(scope: EventStreamScope, e: EventMessage): boolean {
  if (scope.conversation && e.conversationId !== scope.conversation.id) return false;
  if (scope.inboxId && e.inboxId !== scope.inboxId) return false;
  if (scope.types?.length && !scope.types.includes(e.type)) return false;
  return true;
}

function scopeNotFound(scope: EventStreamScope) {
  return scope.conversation ? Errors.notFound('Conversation', scope.conversation.id) : Errors.notFound('Inbox', scope.inboxId!);
}

/** The inboxes the log read may return: the scope's, if visible, intersected with what the viewer sees. */
function readableInboxes(viewer: Viewer, scope: EventStreamScope): string[] | null {
  const target = scope.conversation?.inboxId ?? scope.inboxId ?? null;
  if (target) {
    if (!viewer.canSeeInbox(viewer.tenantId, target)) throw scopeNotFound(scope);
    return [target];
  }
  return viewer.visibleInboxIds();
}

const REVOKED = 'The token of this connection was revoked or expired, or its user was deactivated.';

/**
 * The event stream of one subscription: live pub/sub delivery (subscribed FIRST), the log replayed
 * after `after` (a seq; null = live only), scoped, and re-authorised per event against a fresh
 * viewer. A cursor the log cannot honour yields one ResyncRequired item and continues from the head.
 * Losing sight of a scoped conversation/inbox ends the stream with NOT_FOUND; a dead token with
 * UNAUTHENTICATED. Works with any PubSub: it relies only on EventMessage JSON and the log.
 */
export async function openEventStream(
  ctx: AppContext,
  viewer: Viewer,
  source: ViewerSource,
  scope: EventStreamScope,
  after: number | null,
): Promise<AsyncIterableIterator<LiveEvent>> {
  const tenantId = viewer.tenantId;
  // Only deps are needed later: the closures below must not keep the subscribe step's context (its EntityManager fork) alive.
  const deps = ctx.deps;
  const scoped = Boolean(scope.conversation || scope.inboxId);
  const live = mapAsyncIterator<EventMessage, StreamItem>(deps.pubsub.subscribe<EventMessage>(Topics.tenant(tenantId)), (m) => ({
    seq: Number(m.seq),
    event: m,
  }));

  const resyncItem = (problem: CursorProblem, oldestResumable: number, seq: number, v?: Viewer): StreamItem => ({
    seq,
    event: null,
    resync: { problem, oldestResumable, at: new Date() },
    viewer: v,
  });

  let start = after;
  let prelude: StreamItem | null = null;
  try {
    // A networked pub/sub confirms the subscription later; the log must not be read before it.
    await deps.pubsub.subscribed?.(Topics.tenant(tenantId));
  } catch (error) {
    await live.return?.();
    throw error;
  }
  if (after !== null) {
    try {
      const check = await checkCursor(deps.db.em.fork(), tenantId, after);
      if (check.problem) {
        prelude = resyncItem(check.problem, check.oldestResumable, check.head);
        start = check.head;
      }
    } catch (error) {
      await live.return?.();
      throw error;
    }
  }

  async function* read(from: number, upTo: number | null): AsyncGenerator<StreamItem> {
    const fresh = await source.refresh();
    if (!fresh) throw Errors.unauthenticated(REVOKED);
    const inboxIds = readableInboxes(fresh, scope);
    const em = deps.db.em.fork();
    let cursor = from;
    for (let page = 0; ; page++) {
      const rows = await readEvents(em, tenantId, {
        after: cursor,
        upTo,
        inboxIds,
        conversationId: scope.conversation?.id,
        types: scope.types,
        limit: PAGE_SIZE,
      });
      if (page === 0) {
        // Checked after the first read: a prune that raced it shows up here, not as a hole.
        const check = await checkCursor(em, tenantId, from);
        if (check.problem === CursorProblem.EXPIRED) {
          yield resyncItem(check.problem, check.oldestResumable, upTo ?? check.head, fresh);
          return;
        }
      }
      for (const row of rows) yield { seq: Number(row.seq), event: toEventMessage(row), viewer: fresh };
      if (rows.length < PAGE_SIZE) return;
      cursor = Number(rows[rows.length - 1].seq);
      em.clear();
    }
  }

  const core = replayThenLive<StreamItem>({
    live,
    read,
    seqOf: (item) => item.seq,
    after: start,
    accept: (item) => item.event !== null && inScope(scope, item.event),
  });
  const ordered = prelude ? prependAsyncIterator(prelude, core) : core;

  return mapAsyncIterator(ordered, async (item): Promise<LiveEvent | typeof SKIP> => {
    const current = item.viewer ?? (await source.viewerAt(item.seq));
    if (!current) throw Errors.unauthenticated(REVOKED);
    if (!item.event) return new LiveEvent(item.seq, current, null, item.resync ?? null);
    const e = item.event;
    const visible = e.tenantId === current.tenantId && (e.inboxId ? current.canSeeInbox(e.tenantId, e.inboxId) : current.seesWholeTenant);
    if (visible) return new LiveEvent(item.seq, current, e);
    if (scoped) throw scopeNotFound(scope);
    return SKIP;
  });
}
