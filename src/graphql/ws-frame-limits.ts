import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/** Close code for a message over the limit (RFC 6455), as `ws` sends it for `maxPayload`. */
export const WS_MESSAGE_TOO_BIG = 1009;

/**
 * Where `ws` keeps a socket's payload limit. It checks it against the length announced in each frame
 * header, before reading the payload, so a frame over it is refused without being buffered. The
 * server option sets it for every socket alike; a per-socket limit has to set it here.
 */
interface ReceiverLimit {
  _receiver?: { _maxPayload?: unknown } | null;
}

/**
 * Sets one socket's largest accepted message. Returns false when `ws` no longer keeps the limit
 * where this expects it (the caller then falls back to checking whole messages).
 */
function setMaxPayload(socket: WebSocket, bytes: number): boolean {
  const receiver = (socket as unknown as ReceiverLimit)._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  return true;
}

const INITIALISED = Symbol('switchboard.wsInitialised');

type LimitedSocket = WebSocket & { [INITIALISED]?: boolean };

/** Frame limits of the websocket endpoint. */
export interface WsFrameLimits {
  /** Largest message once connection_init is acknowledged (the HTTP body limit). */
  maxPayload: number;
  /** Largest message before that: only connection_init (a token) is expected then. */
  maxInitPayload: number;
}

/**
 * The websocket server for `path`: messages up to `maxPayload` (ws refuses larger ones from the
 * frame header and closes with 1009), and up to `maxInitPayload` until {@link acceptFullFrames} is
 * called for the socket (when its connection_init is accepted): an unauthenticated client cannot make
 * the server hold more than that.
 */
export function createLimitedWebSocketServer(server: http.Server, path: string, limits: WsFrameLimits): WebSocketServer {
  const wss = new WebSocketServer({ server, path, maxPayload: limits.maxPayload });
  wss.on('connection', (socket: LimitedSocket) => {
    quietTooBig(socket);
    // Runs before ws reads the first frame (data is read on a later tick).
    if (setMaxPayload(socket, Math.min(limits.maxInitPayload, limits.maxPayload))) return;
    // Fallback if ws's internals move: the message is buffered (up to maxPayload), then refused.
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
      if (!socket[INITIALISED] && size > limits.maxInitPayload) socket.close(WS_MESSAGE_TOO_BIG, 'Message too big before connection_init');
    });
  });
  return wss;
}

/**
 * ws has already closed the socket with 1009 when it reports a message over the limit as an 'error';
 * graphql-ws would print every such report to stderr, which lets anyone write to our logs at will.
 */
function quietTooBig(socket: WebSocket): void {
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === 'error' && (args[0] as { code?: unknown } | undefined)?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return true;
    return emit(event, ...args);
  }) as WebSocket['emit'];
}

/** Lifts a socket's pre-init frame limit to the full one, once its connection_init is accepted. */
export function acceptFullFrames(socket: WebSocket, maxPayload: number): void {
  (socket as LimitedSocket)[INITIALISED] = true;
  setMaxPayload(socket, maxPayload);
}
