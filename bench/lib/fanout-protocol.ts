/**
 * What the fan-out benchmark's processes say to each other: the parent (sender and referee), the
 * server under test (GraphQL or the plain-ws reference) and the client processes.
 */

/**
 * The subscription every client runs: inbox-wide delivery progress, with what a UI needs to move a
 * message's ticks. `message { … }` is resolved per subscriber (a DataLoader in each event's own
 * context), as it would be for real clients.
 */
export const FANOUT_SUBSCRIPTION = /* GraphQL */ `
  subscription BenchFanout($inboxId: ID!) {
    messageStatusChanged(inboxId: $inboxId) {
      cursor
      occurredAt
      causationId
      from
      to
      message {
        id
        deliveryStatus
        lastStatusAt
      }
    }
  }
`;

/**
 * Provider event ids carry the event's number and the sender's clock reading right before the POST
 * (`fanout.<k>.<ms>`). The server copies the id into `causationId`, so every client reads back when
 * its event left the sender, with no table of send times to ship around.
 */
export function fanoutEventId(k: number, sentAtMs: number): string {
  return `fanout.${k}.${sentAtMs.toFixed(3)}`;
}

const EVENT_ID = /^fanout\.(\d+)\.(\d+(?:\.\d+)?)$/;

/** The inverse of {@link fanoutEventId}; null for anything else. */
export function parseFanoutEventId(id: unknown): { k: number; sentAtMs: number } | null {
  const m = typeof id === 'string' ? EVENT_ID.exec(id) : null;
  return m ? { k: Number(m[1]), sentAtMs: Number(m[2]) } : null;
}

/** Server process figures, read on request. */
export interface ServerStats {
  /** process.cpuUsage(), µs. */
  cpu: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
  /** Live subscriptions (GraphQL: pub/sub subscribers; reference: sockets that sent `subscribe`). */
  subscribers: number;
  /** Whether `gc()` ran before the memory reading (node started with --expose-gc). */
  gc: boolean;
  /** SQL statements the process has issued so far; null for the reference (no database). */
  sqlStatements: number | null;
  /** Event-loop delay since the last reading with `resetLoop` (10 ms sampling). */
  loopDelay: { maxMs: number; p99Ms: number };
}

/** `stats` command of a server process. */
export interface StatsArgs {
  /** Collect garbage before reading memory. */
  gc?: boolean;
  /** Start a new loop-delay window after this reading. */
  resetLoop?: boolean;
}

/** `connect` command of a client process. */
export interface ConnectArgs {
  url: string;
  sockets: number;
  authorization: string;
  query: string;
  variables: Record<string, unknown>;
  /** Handshakes in flight at once, so the server's accept backlog never overflows. */
  concurrency: number;
}

/** What a client process reports once its sockets are open, acknowledged and subscribed. */
export interface ConnectResult {
  sockets: number;
  ms: number;
}

/**
 * Client → parent once ALL of that process's sockets have event `k` (`lastAtMs`: when the last one
 * did, on the shared clock).
 */
export interface EventDone {
  type: 'done';
  k: number;
  lastAtMs: number;
}

/** Client → parent: latencies (receive − send, ms) per event, one entry per socket. */
export interface Samples {
  byEvent: Record<number, Float64Array>;
  /** `next` frames that were not a fan-out event, duplicates, errors and unexpected closes. */
  problems: { unexpected: number; duplicates: number; errors: number; closed: number; firstProblem: string | null };
  /** process.cpuUsage() of the client process, µs. */
  cpu: { user: number; system: number };
}
