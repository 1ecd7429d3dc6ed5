import http from 'node:http';
import { metaSignature } from '../../src/channels/meta-graph/meta-graph';
import { closeServer, listenLocal, readBody } from './fake-server';

/** A 1×1 PNG: what the fake CDN serves for customer attachments. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** How the fake answers the next Send API call. */
export type FakeSendOutcome = 'ok' | 'temporary' | 'rejected' | 'rate_limited' | 'window';

/** One request the fake received. */
export interface FakeGraphRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A webhook as Meta would post it: the JSON body and its `X-Hub-Signature-256`. */
export interface FakeWebhook {
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * A local stand-in for the Messenger Platform (graph.facebook.com, `object: page`) or Instagram
 * Messaging (graph.instagram.com, `object: instagram`), speaking Meta's documented wire format:
 * `POST /v21.0/{id}/messages` with a Bearer token answers `{ recipient_id, message_id }` or a
 * Graph error (`{ error: { message, type, code, error_subcode } }`), `GET /v21.0/{id}` looks the
 * page/account up (190 for a bad token, 100 for an unknown id), `GET /cdn/...` serves attachment
 * bytes, and webhook bodies are `{ object, entry: [{ id, time, messaging: [...] }] }` signed with
 * the app secret.
 */
export class FakeMetaMessaging {
  readonly requests: FakeGraphRequest[] = [];
  url = '';
  /** Base of the fake CDN attachment URLs. */
  cdnUrl = '';
  private readonly outcomes: FakeSendOutcome[] = [];
  private mids = 0;
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(
    readonly opts: { object: 'page' | 'instagram'; accountId: string; accessToken: string; appSecret: string; mediaBytes?: Buffer },
  ) {}

  async start(): Promise<this> {
    const origin = await listenLocal(this.server);
    this.url = `${origin}/v21.0`;
    this.cdnUrl = `${origin}/cdn`;
    return this;
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  /** Scripts the answers to the next send calls, in order (then `ok`). */
  nextSend(...outcomes: FakeSendOutcome[]): void {
    this.outcomes.push(...outcomes);
  }

  /** Send API calls (message sends and sender actions), in order. */
  sends(): Record<string, unknown>[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages')).map((r) => r.body);
  }

  /** A fresh Meta message id. */
  mid(): string {
    this.mids++;
    return `m_${this.opts.object === 'page' ? 'AQH' : 'aWdf'}${String(this.mids).padStart(6, '0')}`;
  }

  /** A signed webhook around messaging events (Meta batches them in `entry[].messaging[]`). */
  webhook(messaging: Record<string, unknown>[], appSecret = this.opts.appSecret): FakeWebhook {
    const body = JSON.stringify({ object: this.opts.object, entry: [{ id: this.opts.accountId, time: Date.now(), messaging }] });
    return {
      body: Buffer.from(body),
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(appSecret, body) },
    };
  }

  private event(from: string, extra: Record<string, unknown>): Record<string, unknown> {
    return { sender: { id: from }, recipient: { id: this.opts.accountId }, timestamp: Date.now(), ...extra };
  }

  inboundText(from: string, text: string, mid = this.mid()): FakeWebhook {
    return this.webhook([this.event(from, { message: { mid, text } })]);
  }

  inboundImage(from: string, mid = this.mid()): FakeWebhook {
    return this.webhook([
      this.event(from, { message: { mid, attachments: [{ type: 'image', payload: { url: `${this.cdnUrl}/${mid}.png?oh=signed` } }] } }),
    ]);
  }

  /** Our own send coming back (`is_echo`), as Meta posts it when message_echoes is subscribed. */
  echo(to: string, mid: string, text: string): FakeWebhook {
    return this.webhook([
      { sender: { id: this.opts.accountId }, recipient: { id: to }, timestamp: Date.now(), message: { mid, text, is_echo: true } },
    ]);
  }

  reaction(from: string, mid: string, emoji: string | null, at = Date.now()): FakeWebhook {
    const reaction =
      emoji === null ? { mid, action: 'unreact' } : { mid, action: 'react', reaction: emoji === '❤️' ? 'love' : 'other', emoji };
    return this.webhook([{ ...this.event(from, { reaction }), timestamp: at }]);
  }

  /** A Messenger `delivery` watermark: everything sent up to `watermark` (epoch ms) reached the customer. */
  delivery(from: string, watermark: number, mids: string[] = []): FakeWebhook {
    return this.webhook([this.event(from, { delivery: { mids, watermark } })]);
  }

  /** A Messenger `read` watermark. */
  read(from: string, watermark: number): FakeWebhook {
    return this.webhook([this.event(from, { read: { watermark } })]);
  }

  /** An Instagram `messaging_seen`: `read` names the message. */
  seen(from: string, mid: string): FakeWebhook {
    return this.webhook([this.event(from, { read: { mid } })]);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const path = (req.url ?? '').split('?')[0];
    this.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const error = (code: number, message: string, subcode?: number) => ({
      error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AbCdEf' },
    });

    if (req.method === 'GET' && path.startsWith('/cdn/')) {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(this.opts.mediaBytes ?? TINY_PNG);
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.opts.accessToken}`) return reply(401, error(190, 'Invalid OAuth access token.'));
    if (req.method === 'GET' && /^\/v21\.0\/[^/]+$/.test(path)) {
      const id = decodeURIComponent(path.slice('/v21.0/'.length));
      if (id !== this.opts.accountId) return reply(400, error(100, `Object with ID '${id}' does not exist.`, 33));
      return reply(200, this.opts.object === 'page' ? { id, name: 'Acme Support' } : { id, username: 'acme.support' });
    }
    if (req.method !== 'POST' || path !== `/v21.0/${this.opts.accountId}/messages`) return reply(404, error(100, 'Unknown path'));
    const recipient = (body.recipient as { id?: string } | undefined)?.id;
    switch (this.outcomes.shift() ?? 'ok') {
      case 'temporary':
        return reply(500, error(1200, 'Temporary send message failure. Please try again later.'));
      case 'rejected':
        return reply(400, error(551, "This person isn't available right now.", 1545041));
      case 'rate_limited':
        return reply(400, error(613, 'Calls to this api have exceeded the rate limit.'));
      case 'window':
        return reply(400, error(10, 'This message is sent outside of allowed window.', 2018278));
      case 'ok':
        if (body.sender_action) return reply(200, { recipient_id: recipient });
        return reply(200, { recipient_id: recipient, message_id: this.mid() });
    }
  }
}
