import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_LIMITS } from '../src/config';
import { startTestServer, type TestServer } from './helpers/server';
import { rawSocket } from './helpers/subscriptions';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A connection_init of about `bytes` bytes carrying a valid token (padding in an extra param). */
function initOf(token: string, bytes: number): string {
  return JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}`, pad: 'x'.repeat(bytes) } });
}

/** The next message on a raw socket, parsed. */
function nextMessage(socket: ReturnType<typeof rawSocket>['socket']): Promise<{ type: string; id?: string; payload?: unknown }> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()))));
}

/**
 * Opens a websocket by hand and returns the raw TCP stream, so a test can send a frame header
 * announcing a huge payload without sending the payload.
 */
function rawUpgrade(s: TestServer): Promise<Duplex> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: hostname,
      port,
      path: '/graphql',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'graphql-transport-ws',
      },
    });
    req.once('upgrade', (_res, socket) => resolve(socket));
    req.once('error', reject);
    req.once('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.end();
  });
}

/** A masked client text frame header announcing `length` payload bytes (RFC 6455 §5.2). */
function textFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(2 + 8 + 4);
  header[0] = 0x81; // FIN + text
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(header, 10);
  return header;
}

/** The close code in the server's close frame, or null when the stream ended without one. */
function closeCodeFrom(socket: Duplex): Promise<number | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // Server frames are unmasked; a close frame is opcode 8 with a short payload.
      if (buf.length >= 4 && (buf[0] & 0x0f) === 0x8) resolve(buf.readUInt16BE(2));
    });
    socket.once('close', () => resolve(null));
    socket.once('error', () => resolve(null));
  });
}

test(
  'websocket frames: a small limit before connection_init is acknowledged, the HTTP body limit after',
  { timeout: 60_000 },
  async (t) => {
    const s = await startTestServer({ config: { connectionInitWaitTimeout: 10_000 } });
    t.after(() => s.close());
    assert.equal(s.config.limits.maxWsInitPayloadBytes, 16 * KiB);
    assert.equal(s.config.limits.maxBodyBytes, DEFAULT_LIMITS.maxBodyBytes);

    await t.test(
      'a frame header announcing 60 MB before init closes the socket at once (1009), without waiting for the bytes',
      { timeout: 15_000 },
      async () => {
        const socket = await rawUpgrade(s);
        const code = closeCodeFrom(socket);
        socket.write(textFrameHeader(60_000_000));
        socket.write(Buffer.alloc(1024)); // a little of the announced payload; the rest never comes
        // Before the limit the server would wait for the other 59.99 MB (then time the socket out as 4408).
        assert.equal(await code, 1009);
        socket.destroy();
      },
    );

    await t.test('a 2 MiB connection_init with a valid token is closed with 1009 and never acknowledged', { timeout: 15_000 }, async () => {
      const { socket, opened, closed } = rawSocket(s.url);
      await opened;
      const messages: unknown[] = [];
      socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
      socket.send(initOf(s.demoToken, 2 * MiB));
      assert.equal((await closed).code, 1009);
      assert.deepEqual(messages, [], 'no connection_ack');
    });

    await t.test(
      'a connection_init just over the pre-init limit is closed; one under it is acknowledged',
      { timeout: 15_000 },
      async () => {
        const over = rawSocket(s.url);
        await over.opened;
        over.socket.send(initOf(s.demoToken, 17 * KiB));
        assert.equal((await over.closed).code, 1009);

        const under = rawSocket(s.url);
        await under.opened;
        under.socket.send(initOf(s.demoToken, 8 * KiB));
        assert.equal((await nextMessage(under.socket)).type, 'connection_ack');
        under.socket.close();
      },
    );

    await t.test(
      'after the ack, frames up to the body limit work and a larger one closes the socket (1009)',
      { timeout: 15_000 },
      async () => {
        const { socket, opened, closed } = rawSocket(s.url);
        await opened;
        socket.send(initOf(s.demoToken, 0));
        assert.equal((await nextMessage(socket)).type, 'connection_ack');
        // 200 KiB: over the pre-init limit, under the body limit.
        socket.send(
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }', variables: { pad: 'y'.repeat(200 * KiB) } } }),
        );
        const next = await nextMessage(socket);
        assert.deepEqual(next, { id: '1', type: 'next', payload: { data: { __typename: 'Query' } } });
        socket.send(
          JSON.stringify({ id: '2', type: 'subscribe', payload: { query: '{ __typename }', variables: { pad: 'z'.repeat(2 * MiB) } } }),
        );
        assert.equal((await closed).code, 1009);
      },
    );

    await t.test('many oversized pre-init frames do not make the server hold their bytes', { timeout: 15_000 }, async () => {
      // 16 sockets each announce 64 MiB (1 GiB in all) and send 64 KiB of it: all closed at the header.
      const before = process.memoryUsage();
      const sockets = await Promise.all(Array.from({ length: 16 }, () => rawUpgrade(s)));
      const codes = sockets.map((socket) => closeCodeFrom(socket));
      for (const socket of sockets) {
        socket.write(textFrameHeader(64 * MiB));
        socket.write(Buffer.alloc(64 * KiB));
      }
      assert.deepEqual(await Promise.all(codes), Array(16).fill(1009));
      for (const socket of sockets) socket.destroy();
      const after = process.memoryUsage();
      const grown = after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed);
      assert.ok(grown < 64 * MiB, `server-side memory grew by ${Math.round(grown / MiB)} MiB`);
    });
  },
);
