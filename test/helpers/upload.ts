import assert from 'node:assert/strict';
import { print } from 'graphql';
import { UploadMediaDocument } from '../generated/graphql';
import type { TestServer } from './server';

/** The smallest file the media sniffer takes for a PDF. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/** A file to upload: its bytes, declared type and name. */
export interface UploadFile {
  bytes: Buffer;
  type: string;
  name: string;
}

/**
 * Uploads a file with `token` the way a browser client does (a GraphQL multipart request with the
 * CSRF preflight header) and returns the new media's id and signed URL; fails the test if refused.
 */
export async function uploadFile(
  s: TestServer,
  token: string,
  file: UploadFile = { bytes: PDF, type: 'application/pdf', name: 'contract.pdf' },
): Promise<{ id: string; url: string }> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: print(UploadMediaDocument), variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([file.bytes], { type: file.type }), file.name);
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: form,
  });
  const body = (await res.json()) as { data?: { uploadMedia: { id: string; url: string } }; errors?: unknown };
  assert.ok(body.data?.uploadMedia, JSON.stringify(body.errors));
  return body.data.uploadMedia;
}
