import http from 'node:http';
import { whatsAppSignature } from '../../src/channels/whatsapp-cloud/whatsapp-cloud.adapter';
import { whatsAppWebhookBody } from './fake-meta';
import { closeServer, listenLocal, readBody } from './fake-server';

/** A scripted Graph API refusal: HTTP status, Graph error code and message, optional Retry-After. */
export interface GraphError {
  status: number;
  code: number;
  message: string;
  retryAfter?: string;
}

/** One `POST /{phone-number-id}/media` Meta accepted: the multipart fields as sent. */
export interface GraphUpload {
  id: string;
  messagingProduct: string | null;
  type: string | null;
  filename: string | null;
  bytes: Buffer;
}

/** A template as Meta lists it (`GET /{waba-id}/message_templates`), in Meta's own shape. */
export type GraphTemplate = Record<string, unknown> & { name: string };

/**
 * A small stand-in for graph.facebook.com speaking the Cloud API wire format for messages, media
 * and templates, with Meta's auth (Bearer on every call, also on the media download URL):
 * - `POST /v21.0/{phone}/messages` (JSON) answers `messages[0].id`, or the next scripted error;
 * - `POST /v21.0/{phone}/media` (multipart: messaging_product, type, file) answers `{ id }`;
 * - `GET /v21.0/{media-id}` answers `{ url, mime_type, sha256, file_size, id }` for served files,
 *   and `GET /download/{media-id}` (the "lookaside" URL) serves their bytes;
 * - `GET /v21.0/{waba}/message_templates?status=APPROVED&limit=n` pages `templates` with `after`
 *   cursors, `pageSize` at a time (to prove the paging is followed).
 * Webhook bodies (`whatsapp_business_account`) are built and signed with the app secret.
 */
export class FakeGraph {
  readonly messages: { authorization: string | undefined; body: Record<string, unknown> }[] = [];
  readonly uploads: GraphUpload[] = [];
  /** Every request, as `METHOD path` (query included). */
  readonly log: string[] = [];
  templates: GraphTemplate[] = [];
  pageSize = 2;
  private readonly errors: GraphError[] = [];
  private readonly served = new Map<string, { bytes: Buffer; mimeType: string }>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private origin = '';
  url = '';

  constructor(readonly opts: { phoneNumberId: string; accessToken: string; appSecret: string; businessAccountId: string }) {}

  async start(): Promise<this> {
    this.origin = await listenLocal(this.server);
    this.url = `${this.origin}/v21.0`;
    return this;
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  /** The next send (or upload) is refused with this error; queued in order. */
  failNext(error: GraphError): void {
    this.errors.push(error);
  }

  /** Makes Meta hold a customer's file under `mediaId`. */
  serve(mediaId: string, bytes: Buffer, mimeType: string): void {
    this.served.set(mediaId, { bytes, mimeType });
  }

  /** A signed webhook (`X-Hub-Signature-256`) around one change value for our phone number. */
  webhook(value: Record<string, unknown>): { body: Buffer; headers: http.IncomingHttpHeaders } {
    const body = Buffer.from(whatsAppWebhookBody(this.opts.businessAccountId, this.opts.phoneNumberId, value));
    return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': whatsAppSignature(this.opts.appSecret, body) } };
  }

  /** A customer message webhook (`message` is one entry of `value.messages`). */
  customerMessage(from: string, message: Record<string, unknown>): { body: Buffer; headers: http.IncomingHttpHeaders } {
    return this.webhook({
      contacts: [{ profile: { name: `Customer ${from}` }, wa_id: from }],
      messages: [{ from, timestamp: String(Math.floor(Date.now() / 1000)), ...message }],
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.origin);
    this.log.push(`${req.method} ${url.pathname}${url.search}`);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const error = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
      reply(status, { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbC' } }, headers);
    if (req.headers.authorization !== `Bearer ${this.opts.accessToken}`) return error(401, 190, 'Invalid OAuth access token.');

    const { phoneNumberId, businessAccountId } = this.opts;
    const scripted = () => {
      const e = this.errors.shift();
      if (e) error(e.status, e.code, e.message, e.retryAfter !== undefined ? { 'retry-after': e.retryAfter } : {});
      return !!e;
    };
    if (req.method === 'POST' && url.pathname === `/v21.0/${phoneNumberId}/messages`) {
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      this.messages.push({ authorization: req.headers.authorization, body });
      if (scripted()) return;
      return reply(200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: `wamid.HBgM${this.messages.length}` }],
      });
    }
    if (req.method === 'POST' && url.pathname === `/v21.0/${phoneNumberId}/media`) {
      // The platform's multipart parser, fed the request as it came.
      const form = await new Request(url, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: raw,
      }).formData();
      const file = form.get('file');
      if (!(file instanceof File)) return error(400, 100, 'The parameter file is required.');
      if (scripted()) return;
      const upload: GraphUpload = {
        id: `${4490709327 + this.uploads.length}`,
        messagingProduct: typeof form.get('messaging_product') === 'string' ? (form.get('messaging_product') as string) : null,
        type: typeof form.get('type') === 'string' ? (form.get('type') as string) : null,
        filename: file.name || null,
        bytes: Buffer.from(await file.arrayBuffer()),
      };
      this.uploads.push(upload);
      return reply(200, { id: upload.id });
    }
    if (req.method === 'GET' && url.pathname === `/v21.0/${businessAccountId}/message_templates`) {
      if (url.searchParams.get('status') !== 'APPROVED') return error(400, 100, 'expected status=APPROVED');
      const size = Math.min(Number(url.searchParams.get('limit') ?? 25), this.pageSize);
      const start = Number(url.searchParams.get('after') ?? 0);
      const data = this.templates.slice(start, start + size);
      const more = start + size < this.templates.length;
      return reply(200, {
        data,
        paging: {
          cursors: { before: String(start), after: String(start + size) },
          ...(more ? { next: `${this.url}/${businessAccountId}/message_templates?after=${start + size}` } : {}),
        },
      });
    }
    const download = /^\/download\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && download) {
      const file = this.served.get(decodeURIComponent(download[1]));
      if (!file) return error(404, 100, 'Unknown media');
      res.writeHead(200, { 'content-type': file.mimeType, 'content-length': String(file.bytes.length) });
      res.end(file.bytes);
      return;
    }
    const node = /^\/v21\.0\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && node) {
      const id = decodeURIComponent(node[1]);
      if (id === phoneNumberId) return reply(200, { id, display_phone_number: '+1 415-555-0111', verified_name: 'Acme Demo' });
      const file = this.served.get(id);
      if (!file) return error(400, 100, `Unsupported get request. Object with ID '${id}' does not exist.`);
      return reply(200, {
        messaging_product: 'whatsapp',
        url: `${this.origin}/download/${encodeURIComponent(id)}`,
        mime_type: file.mimeType,
        sha256: 'not-checked',
        file_size: String(file.bytes.length),
        id,
      });
    }
    return error(404, 100, 'Unknown path');
  }
}

/** A decodable 1×1 PNG. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
