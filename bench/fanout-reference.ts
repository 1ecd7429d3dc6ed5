/**
 * The fan-out benchmark's reference server (started by bench/fanout.ts): a plain `ws`
 * WebSocketServer that speaks just enough graphql-ws for the same client processes (connection_init
 * → connection_ack, subscribe, ping → pong) and, for each `POST /broadcast`, sends the posted
 * payload as one `next` frame to every subscribed socket: serialised once, sent N times. No
 * authentication, no database, no per-subscriber execution — the floor of delivering that JSON.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveParent } from './lib/child-process';
import type { StatsArgs } from './lib/fanout-protocol';
import { monitorLoop, readServerStats } from './lib/fanout-stats';

/** The subscription id every benchmark client uses, so one frame fits all. */
const SUBSCRIPTION_ID = '1';

let httpServer: http.Server | null = null;
let wss: WebSocketServer | null = null;
const subscribed = new Set<WebSocket>();
const loop = monitorLoop();

function broadcast(body: Buffer): number {
  const payload: unknown = JSON.parse(body.toString('utf8'));
  const frame = Buffer.from(JSON.stringify({ id: SUBSCRIPTION_ID, type: 'next', payload }));
  for (const ws of subscribed) ws.send(frame, { binary: false });
  return subscribed.size;
}

function onSocket(ws: WebSocket): void {
  ws.on('message', (data: Buffer) => {
    let msg: { type?: string; id?: string };
    try {
      msg = JSON.parse(data.toString('utf8')) as typeof msg;
    } catch {
      return ws.close(4400, 'Invalid message');
    }
    switch (msg.type) {
      case 'connection_init':
        return ws.send(JSON.stringify({ type: 'connection_ack' }));
      case 'subscribe':
        if (msg.id !== SUBSCRIPTION_ID) return ws.close(4400, `the reference serves subscription id ${SUBSCRIPTION_ID} only`);
        subscribed.add(ws);
        return;
      case 'ping':
        return ws.send(JSON.stringify({ type: 'pong' }));
      case 'complete':
        subscribed.delete(ws);
        return;
    }
  });
  ws.on('close', () => subscribed.delete(ws));
}

serveParent({
  start: async (args: { host: string }) => {
    if (httpServer) throw new Error('already started');
    const server = http.createServer((req, res) => {
      if (req.method !== 'POST' || req.url !== '/broadcast') {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const sent = broadcast(Buffer.concat(chunks));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sent }));
        } catch (err) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
        }
      });
    });
    httpServer = server;
    wss = new WebSocketServer({ server, path: '/graphql' });
    wss.on('connection', onSocket);
    await new Promise<void>((resolve) => server.listen(0, args.host, resolve));
    const origin = `http://${args.host}:${(server.address() as AddressInfo).port}`;
    return { origin, url: `${origin}/graphql` };
  },
  stats: (args: StatsArgs | null) => readServerStats({ subscribers: subscribed.size, sqlStatements: null, loop }, args),
  close: async () => {
    for (const ws of wss?.clients ?? []) ws.terminate();
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (httpServer ? httpServer.close(() => resolve()) : resolve()));
    httpServer = null;
    wss = null;
  },
});
