/**
 * A fan-out client process (started by bench/fanout.ts): holds many subscribed websockets and
 * timestamps every event they receive. It speaks the graphql-ws protocol (`graphql-transport-ws`)
 * over raw `ws` sockets — connection_init with the bearer token, subscribe, then JSON-parse each
 * `next` frame — instead of running graphql-ws's client, so thousands of sockets stay cheap and the
 * client side is not what the benchmark measures.
 *
 * Latency of one delivery = this process's clock when the frame's `message` event fires − the send
 * time the parent wrote into the provider event id (read back from `causationId`). Both are
 * `performance.timeOrigin + performance.now()`, which is one wall clock on one machine.
 */
import WebSocket from 'ws';
import { clockMs, serveParent } from './lib/child-process';
import { parseFanoutEventId, type ConnectArgs, type ConnectResult, type EventDone, type Samples } from './lib/fanout-protocol';

interface EventTally {
  latencies: Float64Array;
  /** 1 per socket that has it: a second copy is a duplicate, not a second sample. */
  seen: Uint8Array;
  count: number;
  /** Sockets closed without having it (they never will). */
  closedUnseen: number;
  reported: boolean;
}

const sockets: WebSocket[] = [];
/** 1 per socket the server closed after it was subscribed. */
let closedSockets = new Uint8Array(0);
let closedCount = 0;
const events = new Map<number, EventTally>();
const problems: Samples['problems'] = { unexpected: 0, duplicates: 0, errors: 0, closed: 0, firstProblem: null };
/** Set once the parent asks to close: closes from then on are ours, not the server's. */
let closing = false;
let sampleSent = false;

const parent = serveParent({
  connect: (args: ConnectArgs) => connect(args),
  clock: () => clockMs(),
  cpu: () => process.cpuUsage(),
  collect: (): Samples => {
    const byEvent: Samples['byEvent'] = {};
    for (const [k, t] of events) byEvent[k] = t.latencies;
    events.clear();
    return { byEvent, problems: { ...problems }, cpu: process.cpuUsage() };
  },
  close: () => closeAll(),
});

/**
 * Counts a problem and tells the parent about the first of each kind. A socket the server closes is
 * reported one by one (the parent keeps measuring with the rest and says how many were dropped);
 * anything else fails the run.
 */
function problem(kind: keyof Omit<Samples['problems'], 'firstProblem'>, detail: string): void {
  problems[kind]++;
  problems.firstProblem ??= detail.slice(0, 500);
  if (kind === 'closed') parent.notify('closed', { detail: detail.slice(0, 500) });
  else if (problems[kind] === 1) parent.notify('problem', { detail: detail.slice(0, 500) });
}

function tally(k: number): EventTally {
  let t = events.get(k);
  if (!t) {
    t = {
      latencies: new Float64Array(sockets.length).fill(Number.NaN),
      seen: new Uint8Array(sockets.length),
      count: 0,
      closedUnseen: closedCount,
      reported: false,
    };
    events.set(k, t);
  }
  return t;
}

/** Reports event k once every socket still open has it. */
function checkDone(k: number, t: EventTally, at: number): void {
  if (t.reported || t.count + t.closedUnseen < sockets.length) return;
  t.reported = true;
  parent.notify('done', { k, lastAtMs: at } satisfies Omit<EventDone, 'type'>);
}

function onClosed(index: number, detail: string): void {
  if (closedSockets[index]) return;
  closedSockets[index] = 1;
  closedCount++;
  problem('closed', detail);
  for (const [k, t] of events) {
    if (t.seen[index]) continue;
    t.closedUnseen++;
    checkDone(k, t, clockMs());
  }
}

/** One `next` frame on socket `index`. */
function onNext(
  index: number,
  text: string,
  payload: { data?: Record<string, { causationId?: unknown } | null>; errors?: unknown[] },
): void {
  const at = clockMs();
  if (payload.errors?.length) return problem('errors', `next with errors: ${text}`);
  const field = payload.data ? Object.values(payload.data)[0] : null;
  const id = parseFanoutEventId(field?.causationId);
  if (!id) return problem('unexpected', `next without a fan-out causationId: ${text}`);
  if (!sampleSent) {
    sampleSent = true;
    parent.notify('sample', { text });
  }
  const t = tally(id.k);
  if (t.seen[index]) return problem('duplicates', `event ${id.k} twice on socket ${index}`);
  t.seen[index] = 1;
  t.latencies[index] = at - id.sentAtMs;
  t.count++;
  checkDone(id.k, t, at);
}

function openOne(index: number, args: ConnectArgs): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(args.url, 'graphql-transport-ws', { perMessageDeflate: false });
    sockets[index] = ws;
    let ready = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: args.authorization } })));
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      let msg: { type?: string; payload?: unknown };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return problem('unexpected', `not JSON: ${text}`);
      }
      switch (msg.type) {
        case 'next':
          return onNext(index, text, msg.payload as Parameters<typeof onNext>[2]);
        case 'connection_ack':
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: args.query, variables: args.variables } }));
          // graphql-ws acknowledges no subscribe; the parent waits for the server's subscriber count.
          ready = true;
          return resolve();
        case 'ping':
          return ws.send(JSON.stringify({ type: 'pong' }));
        case 'pong':
          return;
        case 'error':
          return problem('errors', `error frame: ${text}`);
        case 'complete':
          return problem('errors', `subscription completed by the server: ${text}`);
        default:
          return problem('unexpected', `unexpected frame: ${text}`);
      }
    });
    ws.on('error', (err) => {
      if (!ready) reject(new Error(`socket ${index}: ${err.message}`));
    });
    ws.on('close', (code, reason) => {
      if (!ready) return reject(new Error(`socket ${index} closed before connection_ack: ${code} ${reason.toString()}`));
      if (!closing) onClosed(index, `socket ${index} closed by the server: ${code} ${reason.toString()}`);
    });
  });
}

/** Opens `sockets` subscribed sockets, at most `concurrency` handshakes at a time. */
async function connect(args: ConnectArgs): Promise<ConnectResult> {
  if (sockets.length) throw new Error('already connected');
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < args.sockets) await openOne(next++, args);
  };
  closedSockets = new Uint8Array(args.sockets);
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.sockets) }, worker));
  return { sockets: sockets.length, ms: performance.now() - started };
}

async function closeAll(): Promise<void> {
  closing = true;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 5000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(1000, 'benchmark done');
        }),
    ),
  );
}
