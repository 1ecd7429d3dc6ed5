import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Media } from '../src/modules/media/media.entity';
import { startTestServer, type TestServer } from './helpers/server';

const UPLOAD = 'mutation($file: Upload!) { uploadMedia(file: $file) { id } }';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/** A GraphQL multipart request with the given `map` and, optionally, a file part named `part`. */
async function multipart(s: TestServer, map: string, part: string | null) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
  form.append('map', map);
  if (part !== null) form.append(part, new Blob([PDF]), 'a.pdf');
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.demoToken}`, 'apollo-require-preflight': 'true' },
    body: form,
  });
  const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { status: res.status, body };
}

/** What an upload leaves behind: Media rows and files (staged or committed). */
async function stored(s: TestServer) {
  const dir = path.join(s.config.dataDir, 'media');
  const files = fs.existsSync(dir)
    ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(dir, p)).isFile())
    : [];
  return { rows: await s.db.em.fork().count(Media, {}), files: files.sort() };
}

test('multipart: a map naming a file part that never arrives, or a malformed map, is 400 BAD_USER_INPUT naming it', async (t) => {
  const s = await startTestServer({ deliveryWorker: false });
  t.after(() => s.close());
  const before = await stored(s);

  const cases: { map: string; part: string | null; field: string; message: RegExp }[] = [
    // The map points variables.file at part "0", which the request does not contain.
    { map: '{"0":["variables.file"]}', part: null, field: 'file', message: /names a file part for `file` that is not in the request/ },
    // Part "1" is promised; part "0" arrives instead.
    { map: '{"1":["variables.file"]}', part: '0', field: 'file', message: /names a file part for `file` that is not in the request/ },
    { map: '{"0":["variables.file"]', part: '0', field: 'map', message: /Invalid JSON in the ‘map’/ },
    { map: '{"0":"variables.file"}', part: '0', field: 'map', message: /Invalid type for the ‘map’/ },
    { map: '{"0":["variables.nope"]}', part: '0', field: 'map', message: /Invalid object path/ },
  ];
  for (const c of cases) {
    const res = await multipart(s, c.map, c.part);
    assert.equal(res.status, 400, `${c.map}: ${JSON.stringify(res.body)}`);
    const error = res.body.errors?.[0];
    assert.equal(error?.extensions?.code, 'BAD_USER_INPUT', c.map);
    const fields = error?.extensions?.fields as { field: string; message: string }[];
    assert.equal(fields?.[0]?.field, c.field, c.map);
    assert.match(error!.message, c.message);
    assert.equal(res.body.data, undefined, 'nothing executed');
  }
  assert.deepEqual(await stored(s), before, 'no row and no file left behind');

  // The well-formed request still works.
  const ok = await multipart(s, '{"0":["variables.file"]}', '0');
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await stored(s)).rows, before.rows + 1);
});
