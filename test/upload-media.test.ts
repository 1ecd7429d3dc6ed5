import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { print, type GraphQLFormattedError } from 'graphql';
import { DEFAULT_UPLOAD_LIMITS } from '../src/config';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { issueToken } from '../src/modules/auth/token.service';
import { Scope } from '../src/modules/auth/scopes';
import { Media } from '../src/modules/media/media.entity';
import { signedMediaPath } from '../src/modules/media/media-url';
import { seedDemo } from '../src/seed/demo';
import { LocalMediaStorage } from '../src/storage/local-media-storage';
import type { MediaStorage, StagedObject } from '../src/storage/media-storage';
import { MediaNodeDocument, UploadMediaDocument, type UploadMediaMutation } from './generated/graphql';
import { errorCode } from './helpers/client';
import { startTestServer, type TestServer } from './helpers/server';

// ---------------------------------------------------------------------------------------------
// Fixtures

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

/** A real, decodable RGB PNG of random pixels; stored (not compressed) so its size is ~3·w·h bytes. */
function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), randomBytes(width * 3)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 0 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A Windows PE header: printable "MZ", then binary. */
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.from([0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff]), randomBytes(2000)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------------------------------------
// Helpers

const IMAGE_LIMIT = 16 * 1024;

interface UploadResult {
  status: number;
  data?: UploadMediaMutation | null;
  errors?: GraphQLFormattedError[];
}

interface UploadOptions {
  filename?: string;
  /** What the client claims; the server must not believe it. */
  type?: string;
  idempotencyKey?: string;
  token?: string | null;
  /** Send `Apollo-Require-Preflight` (the CSRF guard); default true. */
  preflight?: boolean;
}

/** A GraphQL multipart request (operations + map + file part), built with FormData/Blob. */
async function upload(s: TestServer, bytes: Buffer, opts: UploadOptions = {}): Promise<UploadResult> {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({ query: print(UploadMediaDocument), variables: { file: null, idempotencyKey: opts.idempotencyKey ?? null } }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([bytes], { type: opts.type ?? 'application/octet-stream' }), opts.filename ?? 'file.bin');
  const token = opts.token === undefined ? s.demoToken : opts.token;
  const res = await fetch(s.url, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.preflight === false ? {} : { 'apollo-require-preflight': 'true' }),
    },
    body: form,
  });
  return { status: res.status, ...((await res.json()) as Omit<UploadResult, 'status'>) };
}

const mediaDir = (s: TestServer) => path.join(s.config.dataDir, 'media');

/** Every file (staged or committed) under the media directory, relative to it. */
function mediaFiles(s: TestServer): string[] {
  const root = mediaDir(s);
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(root, p)).isFile()).sort();
}

const rowCount = (s: TestServer) => s.db.em.fork().count(Media, {});

/** What an upload can leave behind: rows and files. A refusal must leave both unchanged. */
async function stored(s: TestServer): Promise<{ rows: number; files: string[] }> {
  return { rows: await rowCount(s), files: mediaFiles(s) };
}

/** A promise with its resolve exposed. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** What a test can wait for about one upload, as the storage sees it. */
interface UploadWatch {
  /** Resolves when the upload's first bytes pass into storage (it is being staged). */
  streaming: Promise<void>;
  /**
   * Resolves when storage is done with the upload: `put` failed (it removes what it wrote before
   * rejecting), or the staged bytes were committed or discarded. Every database write of the
   * upload happens before this, so the test can read the outcome without polling for it.
   */
  settled: Promise<void>;
}

/**
 * The server's real local storage, with test hooks ({@link watchNext}) so tests wait for what the
 * server did instead of polling the media directory.
 */
class ObservedMediaStorage implements MediaStorage {
  private readonly watches: { streaming: () => void; settled: () => void }[] = [];

  constructor(private readonly inner: MediaStorage) {}

  /** Hooks on the next upload that reaches storage. */
  watchNext(): UploadWatch {
    const streaming = deferred();
    const settled = deferred();
    this.watches.push({ streaming: streaming.resolve, settled: settled.resolve });
    return { streaming: streaming.promise, settled: settled.promise };
  }

  async put(body: Readable): Promise<StagedObject> {
    const watch = this.watches.shift();
    if (!watch) return this.inner.put(body);
    const tap = new Transform({
      transform(chunk, _encoding, done) {
        done(null, chunk);
        watch.streaming();
      },
    });
    let staged: StagedObject;
    try {
      // pipeline, so a failure of the client's stream reaches the inner put as it would unobserved.
      staged = await this.inner.put(pipeline(body, tap, () => {}));
    } catch (err) {
      watch.settled();
      throw err;
    }
    const after = (step: () => Promise<void>) => async () => {
      try {
        await step();
      } finally {
        watch.settled();
      }
    };
    return { key: staged.key, size: staged.size, commit: after(() => staged.commit()), discard: after(() => staged.discard()) };
  }

  get(key: string) {
    return this.inner.get(key);
  }

  stat(key: string) {
    return this.inner.stat(key);
  }

  delete(key: string) {
    return this.inner.delete(key);
  }
}

const BOUNDARY = '----switchboard-test-boundary';

/** The multipart body up to (and including) the file part's headers. */
function multipartHead(filename: string, type: string): Buffer {
  const operations = JSON.stringify({ query: print(UploadMediaDocument), variables: { file: null } });
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
}

/** Starts a multipart upload over a raw socket that the test controls (the body is never ended). */
function openUpload(s: TestServer): http.ClientRequest {
  const { hostname, port } = new URL(s.url);
  const req = http.request({
    host: hostname,
    port,
    method: 'POST',
    path: '/graphql',
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      authorization: `Bearer ${s.demoToken}`,
      'apollo-require-preflight': 'true',
    },
  });
  req.on('error', () => {}); // we destroy it on purpose
  return req;
}

const get = (s: TestServer, urlPath: string, headers: Record<string, string> = {}) => fetch(`${s.httpUrl}${urlPath}`, { headers });

// ---------------------------------------------------------------------------------------------

describe('uploadMedia and GET /media/:id', () => {
  let s: TestServer;
  let otherToken: string;
  // The media directory is the server's `<dataDir>/media`, as without the hooks.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-upload-test-'));
  const storage = new ObservedMediaStorage(new LocalMediaStorage(path.join(dataDir, 'media')));

  before(async () => {
    s = await startTestServer({
      mediaStorage: storage,
      config: { dataDir, uploadLimits: { ...DEFAULT_UPLOAD_LIMITS, image: IMAGE_LIMIT } },
      beforeStart: async (db) => {
        // A second workspace, to show media never crosses tenants.
        const other = await seedDemo(db.em.fork());
        otherToken = (await issueToken(db.em.fork(), { tenantId: other.tenant.id, userId: other.owner.id, name: 'other' })).token;
        // Makes the insert of one particular upload fail inside its transaction.
        await (db.em.fork() as SqlEntityManager).execute(
          `create trigger media_insert_fails before insert on media when new.filename = 'fail-in-transaction.png'
           begin select raise(abort, 'simulated failure in the transaction'); end`,
        );
      },
    });
  });
  after(async () => {
    await s.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a PNG claimed as text/plain is stored as image/png with its real size and SHA-256', async () => {
    const bytes = png(8, 8);
    const res = await upload(s, bytes, { filename: 'photo.txt', type: 'text/plain' });
    assert.equal(res.errors, undefined);
    const media = res.data!.uploadMedia;
    assert.equal(media.mimeType, 'image/png');
    assert.equal(media.mediaKind, 'IMAGE');
    assert.equal(media.filename, 'photo.txt');
    assert.equal(media.size, bytes.length);
    assert.equal(media.sha256, sha256(bytes));
    assert.match(media.url, new RegExp(`^/media/${media.id}\\?exp=\\d+&sig=[\\w-]+$`));

    // The row and exactly one committed file with these bytes; nothing left in staging.
    const row = await s.db.em.fork().findOneOrFail(Media, { id: media.id });
    assert.equal(row.tenantId, s.demo.tenant.id);
    assert.equal(row.uploadedById, s.demo.owner.id);
    const files = mediaFiles(s).filter((f) => !f.startsWith('.staging'));
    assert.ok(files.some((f) => fs.readFileSync(path.join(mediaDir(s), f)).equals(bytes)));
    assert.deepEqual(
      mediaFiles(s).filter((f) => f.startsWith('.staging')),
      [],
    );

    // node(id) refetches it.
    const node = await s.client().data(MediaNodeDocument, { id: media.id });
    assert.equal(node.node?.__typename, 'Media');
    assert.equal(node.node?.id, media.id);

    // The signed URL serves the exact bytes with safe headers.
    const dl = await get(s, media.url);
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-type'), 'image/png');
    assert.equal(dl.headers.get('content-length'), String(bytes.length));
    assert.equal(dl.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(dl.headers.get('content-disposition'), `inline; filename="photo.txt"; filename*=UTF-8''photo.txt`);
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(bytes));
  });

  test('a PDF with a Windows path and a non-ASCII name is a document; the header encodes the name safely', async () => {
    const res = await upload(s, PDF, { filename: 'C:\\fakepath\\Résumé; final (1).pdf', type: 'image/png' });
    const media = res.data!.uploadMedia;
    assert.equal(media.mimeType, 'application/pdf');
    assert.equal(media.mediaKind, 'DOCUMENT');
    assert.equal(media.filename, 'Résumé; final (1).pdf');
    const dl = await get(s, media.url);
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-type'), 'application/pdf');
    assert.equal(
      dl.headers.get('content-disposition'),
      `inline; filename="R_sum_; final (1).pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%3B%20final%20%281%29.pdf`,
    );
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(PDF));
  });

  test('an executable is refused as UNSUPPORTED_CONTENT and leaves no row and no file', async () => {
    const before = await stored(s);
    const res = await upload(s, EXE, { filename: 'cat.png', type: 'image/png' });
    assert.equal(errorCode(res), 'UNSUPPORTED_CONTENT');
    assert.equal(res.data, null);
    assert.deepEqual(await stored(s), before);
  });

  test('unknown random bytes and an empty file are refused, nothing stored', async () => {
    const before = await stored(s);
    assert.equal(errorCode(await upload(s, Buffer.concat([Buffer.from([0, 1, 2, 0xff]), randomBytes(500)]))), 'UNSUPPORTED_CONTENT');
    assert.equal(errorCode(await upload(s, Buffer.alloc(0), { filename: 'empty.txt', type: 'text/plain' })), 'BAD_USER_INPUT');
    assert.deepEqual(await stored(s), before);
  });

  test('an image over its configured limit is PAYLOAD_TOO_LARGE, with no row and no file', async () => {
    const before = await stored(s);
    const big = png(96, 96); // ~27 kB
    assert.ok(big.length > IMAGE_LIMIT);
    const res = await upload(s, big, { filename: 'big.png', type: 'image/png' });
    assert.equal(errorCode(res), 'PAYLOAD_TOO_LARGE');
    assert.equal(res.errors?.[0].extensions?.limit, IMAGE_LIMIT);
    assert.equal(res.errors?.[0].extensions?.mediaKind, 'IMAGE');
    assert.deepEqual(await stored(s), before);
  });

  test(
    'the size limit is enforced while streaming: the refusal comes before the client finished sending',
    { timeout: 10_000 },
    async () => {
      const before = await stored(s);
      const req = openUpload(s);
      const response = new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
      req.write(multipartHead('huge.png', 'image/png'));
      // 64 kB of a PNG whose end is never sent: the server cannot have waited for the whole file.
      req.write(png(128, 128).subarray(0, 4 * IMAGE_LIMIT));
      const res = await response;
      let body = '';
      for await (const part of res) body += part;
      req.destroy();
      assert.equal(errorCode(JSON.parse(body) as { errors: GraphQLFormattedError[] }), 'PAYLOAD_TOO_LARGE');
      assert.deepEqual(await stored(s), before);
    },
  );

  test('a client that disconnects mid-file leaves no row and no file, and the server keeps serving', { timeout: 15_000 }, async () => {
    const before = await stored(s);
    const watch = storage.watchNext();
    const req = openUpload(s);
    req.write(multipartHead('partial.png', 'image/png'));
    req.write(png(60, 60).subarray(0, IMAGE_LIMIT / 2)); // under the limit, and not the end of the file
    // Once the server is writing the file into staging, cut the connection…
    await watch.streaming;
    req.destroy();
    // …and once storage is done with it (the failed write cleaned up), nothing may be left.
    await watch.settled;
    assert.deepEqual(await stored(s), before);

    const next = await upload(s, png(2, 2), { filename: 'after-abort.png' });
    assert.equal(next.errors, undefined);
    assert.equal(next.data!.uploadMedia.mimeType, 'image/png');
  });

  test('the same idempotency key with the same bytes returns the same Media; other bytes conflict', async () => {
    const bytes = png(4, 4);
    const first = await upload(s, bytes, { idempotencyKey: 'avatar-1', filename: 'a.png' });
    const afterFirst = await stored(s);
    const again = await upload(s, bytes, { idempotencyKey: 'avatar-1', filename: 'a.png' });
    assert.equal(again.data!.uploadMedia.id, first.data!.uploadMedia.id);
    assert.deepEqual(await stored(s), afterFirst);

    const other = await upload(s, png(4, 4), { idempotencyKey: 'avatar-1', filename: 'a.png' });
    assert.equal(errorCode(other), 'IDEMPOTENCY_CONFLICT');
    assert.equal(other.errors?.[0].extensions?.mediaId, first.data!.uploadMedia.id);
    assert.deepEqual(await stored(s), afterFirst);
  });

  test('concurrent uploads with one idempotency key produce one Media', async () => {
    const before = await stored(s);
    const bytes = png(5, 5);
    const results = await Promise.all([1, 2, 3].map(() => upload(s, bytes, { idempotencyKey: 'burst' })));
    const ids = new Set(results.map((r) => r.data?.uploadMedia.id));
    assert.equal(ids.size, 1);
    assert.ok([...ids][0]);
    const now = await stored(s);
    assert.equal(now.rows, before.rows + 1);
    assert.equal(now.files.length, before.files.length + 1);
  });

  test('a multipart upload without Apollo-Require-Preflight is blocked as CSRF, nothing stored', async () => {
    const before = await stored(s);
    const res = await upload(s, png(3, 3), { preflight: false });
    assert.equal(res.status, 400);
    assert.equal(errorCode(res), 'BAD_REQUEST');
    assert.match(res.errors?.[0].message ?? '', /Cross-Site Request Forgery/);
    assert.deepEqual(await stored(s), before);
  });

  test('uploading needs a token with message:create', async () => {
    const before = await stored(s);
    assert.equal(errorCode(await upload(s, png(2, 2), { token: null })), 'UNAUTHENTICATED');
    const readOnly = await s.token('owner', [Scope.CONVERSATION_READ]);
    assert.equal(errorCode(await upload(s, png(2, 2), { token: readOnly })), 'FORBIDDEN');
    assert.deepEqual(await stored(s), before);
  });

  test('a failing transaction leaves no row and no staged or committed file', async () => {
    const before = await stored(s);
    const res = await upload(s, png(3, 3), { filename: 'fail-in-transaction.png' });
    assert.equal(errorCode(res), 'INTERNAL_SERVER_ERROR');
    assert.deepEqual(await stored(s), before);
  });

  describe('GET /media/:id', () => {
    let media: UploadMediaMutation['uploadMedia'];
    let bytes: Buffer;
    before(async () => {
      bytes = png(6, 6);
      media = (await upload(s, bytes, { filename: 'shared.png' })).data!.uploadMedia;
    });

    test('a valid signed URL serves the file without a token', async () => {
      const res = await get(s, media.url);
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
    });

    test('an expired signature is 404', async () => {
      const past = Math.floor(Date.now() / 1000) - 1;
      const res = await get(s, signedMediaPath(s.config.mediaSigningSecret, media.id, past));
      assert.equal(res.status, 404);
      assert.equal(res.headers.get('content-type')?.startsWith('image/'), false);
    });

    test('a tampered signature, a moved expiry or another id under the signature is 404', async () => {
      const url = new URL(media.url, s.httpUrl);
      const sig = url.searchParams.get('sig')!;
      const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
      assert.equal((await get(s, `/media/${media.id}?exp=${url.searchParams.get('exp')}&sig=${flipped}`)).status, 404);
      const later = Number(url.searchParams.get('exp')) + 3600;
      assert.equal((await get(s, `/media/${media.id}?exp=${later}&sig=${sig}`)).status, 404);
      const another = (await upload(s, png(2, 3))).data!.uploadMedia.id;
      assert.equal((await get(s, `/media/${another}${url.search}`)).status, 404);
    });

    test('a bearer token of the same tenant that may see it works; no auth or a bad token is 404', async () => {
      // An admin: media no message uses yet is visible to its uploader, owners and admins only.
      const agent = await get(s, `/media/${media.id}`, { authorization: `Bearer ${s.tokens.admin}` });
      assert.equal(agent.status, 200);
      assert.ok(Buffer.from(await agent.arrayBuffer()).equals(bytes));
      assert.equal((await get(s, `/media/${media.id}`)).status, 404);
      assert.equal((await get(s, `/media/${media.id}`, { authorization: 'Bearer sb_not-a-token' })).status, 404);
    });

    test("another tenant's media is 404 with a bearer token and null from node(id)", async () => {
      assert.equal((await get(s, `/media/${media.id}`, { authorization: `Bearer ${otherToken}` })).status, 404);
      const foreign = (await upload(s, png(3, 2), { token: otherToken })).data!.uploadMedia;
      const res = await get(s, `/media/${foreign.id}`, { authorization: `Bearer ${s.demoToken}` });
      assert.equal(res.status, 404);
      assert.equal((await s.client().data(MediaNodeDocument, { id: foreign.id })).node, null);
      // Its owner's signed URL still works: the signature, not the tenant, grants it.
      assert.equal((await get(s, foreign.url)).status, 200);
    });

    test('an unknown or malformed id is the same 404', async () => {
      const unknown = await get(s, `/media/mda_01HZZZZZZZZZZZZZZZZZZZZZZZ`, { authorization: `Bearer ${s.demoToken}` });
      assert.equal(unknown.status, 404);
      assert.equal(errorCode((await unknown.json()) as { errors: GraphQLFormattedError[] }), 'NOT_FOUND');
      assert.equal((await get(s, `/media/..%2F..%2Fetc%2Fpasswd`, { authorization: `Bearer ${s.demoToken}` })).status, 404);
    });
  });
});
