import { createHash } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import type { Viewer } from '../modules/auth/viewer';

export interface SharedExecutionOptions {
  /** Most (operation, viewer) results held at once; the oldest go first. Default 10,000. */
  maxEntries?: number;
  /** A result is shared for at most this long after its execution started. Default 2,000 ms. */
  ttlMs?: number;
  /** Monotonic milliseconds (tests inject a clock). */
  now?: () => number;
  /**
   * Subscribers a shared result is released to per turn of the event loop. Thousands of sockets
   * waiting on one result would otherwise all write in the same macrotask and stall the loop for
   * the whole fan-out. Default 250.
   */
  releaseBatch?: number;
}

/** The result of one (operation, viewer) pair for the newest event it was executed for. */
interface Slot {
  seq: number;
  eventId: string;
  at: number;
  result: Promise<ExecutionResult>;
  /** Subscribers given this result so far (the one that executed it included). */
  given: number;
  /** gates[k] resolves with the result k event-loop turns after it was ready; batch k of subscribers waits on it. */
  gates: Promise<ExecutionResult>[];
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * Everything about a viewer that can change what an operation resolves to: tenant, user, bot flag,
 * role, scopes and visible inboxes (order-independent). Two viewers with the same key see exactly
 * the same data through the loaders and pass exactly the same scope checks.
 */
export function viewerAuthorisationKey(viewer: Viewer): string {
  const inboxes = viewer.visibleInboxIds();
  return JSON.stringify([
    viewer.tenantId,
    viewer.userId,
    viewer.user.bot,
    viewer.role,
    [...viewer.scopes].sort(),
    inboxes === null ? 'all' : [...inboxes].sort(),
  ]);
}

/** Identifies an operation with its inputs: document text, operation name and variables. */
export function operationKey(query: string, operationName: string | null | undefined, variables: unknown): string {
  return digest(JSON.stringify([query, operationName ?? null, variables ?? null]));
}

/**
 * Shares the execution of a subscription's selection set between subscribers: for one event, all
 * subscriptions with the same operation (document, name, variables) and the same viewer
 * authorisation ({@link viewerAuthorisationKey}) get ONE execution and the same ExecutionResult,
 * errors included (they depend on nothing else). Different viewers never share.
 *
 * Holds one result per (operation, viewer) pair, for the newest event seq seen for it: a newer
 * event replaces it; a subscriber still on an older event (a replay, a slow consumer) executes on
 * its own without replacing it. Results are kept at most `ttlMs` and at most `maxEntries` pairs,
 * so memory stays bounded whatever the traffic. Owned by AppDeps; one per server.
 */
export class SharedExecution {
  /** Selection sets actually executed (misses). */
  executions = 0;
  /** Deliveries that reused a result executed for another subscriber (hits). */
  reused = 0;

  private readonly slots = new Map<string, Slot>();
  /** Viewers are shared per token and event (LiveAuth), so each key is computed once per viewer object. */
  private readonly viewerKeys = new WeakMap<Viewer, string>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly releaseBatch: number;

  constructor(options: SharedExecutionOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.ttlMs = options.ttlMs ?? 2_000;
    this.now = options.now ?? (() => performance.now());
    this.releaseBatch = Math.max(1, options.releaseBatch ?? 250);
  }

  /**
   * The result of `operation` (from {@link operationKey}) for the event `seq`/`eventId` as `viewer`
   * sees it: the one already executed for an equal operation and viewer authorisation, or
   * `execute()`'s. `execute` must build its own fresh context for `viewer` and this event.
   */
  run(
    operation: string,
    viewer: Viewer,
    seq: number,
    eventId: string,
    execute: () => ExecutionResult | Promise<ExecutionResult>,
  ): Promise<ExecutionResult> {
    const key = operation + this.viewerKey(viewer);
    const now = this.now();
    const slot = this.slots.get(key);
    const fresh = slot !== undefined && now - slot.at <= this.ttlMs;
    if (fresh && slot.seq === seq && slot.eventId === eventId) {
      this.reused++;
      return this.gate(slot, Math.floor(slot.given++ / this.releaseBatch));
    }
    this.executions++;
    const result = (async () => execute())();
    if (fresh && slot.seq > seq) return result; // behind the newest event: not worth keeping
    const entry: Slot = { seq, eventId, at: now, result, given: 1, gates: [result] };
    this.slots.delete(key); // re-inserted last, so the map stays in execution order for eviction
    this.slots.set(key, entry);
    this.evict(now);
    result.catch(() => {
      if (this.slots.get(key) === entry) this.slots.delete(key);
    });
    return result;
  }

  /** (operation, viewer) results currently held. */
  get size(): number {
    return this.slots.size;
  }

  /** The result for batch `k` of a slot's subscribers: one setImmediate after batch k − 1's. */
  private gate(slot: Slot, k: number): Promise<ExecutionResult> {
    let gate = slot.gates[k];
    if (!gate) {
      gate = this.gate(slot, k - 1).then((result) => new Promise<ExecutionResult>((resolve) => setImmediate(resolve, result)));
      slot.gates[k] = gate;
    }
    return gate;
  }

  private viewerKey(viewer: Viewer): string {
    let key = this.viewerKeys.get(viewer);
    if (key === undefined) {
      key = digest(viewerAuthorisationKey(viewer));
      this.viewerKeys.set(viewer, key);
    }
    return key;
  }

  /** Drops expired results and the oldest beyond `maxEntries`; the map is in execution order, so only its head is looked at. */
  private evict(now: number): void {
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= this.maxEntries && now - slot.at <= this.ttlMs) return;
      this.slots.delete(key);
    }
  }
}
