import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The plumbing every fake provider server shares (fake-meta, fake-graph, fake-meta-messaging,
 * fake-telegram, fake-twilio): listen on a free loopback port, read a request body whole, and shut
 * down without waiting for keep-alive sockets the adapter's fetch still holds.
 */

/** Starts `server` on port 0 of 127.0.0.1 and returns its origin (`http://127.0.0.1:<port>`). */
export async function listenLocal(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes `server`, dropping idle and in-flight connections so the close does not wait on them. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The request's whole body. */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
