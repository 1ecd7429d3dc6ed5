import http from 'node:http';
import { WEBHOOK_QUERY_HEADER } from '../../src/channels/channel-adapter';
import { parseForm, twilioSignature } from '../../src/channels/twilio/twilio.wire';
import { closeServer, listenLocal, readBody } from './fake-server';

/** What the fake answers the next Messages create request with (then back to `ok`). */
export type TwilioSendOutcome = 'ok' | 'temporary' | 'rejected' | 'rate_limited' | 'opted_out';

/** One Messages create request as Twilio received it. */
export interface TwilioSendRequest {
  sid: string | null;
  authorization: string | undefined;
  contentType: string | undefined;
  /** Every form parameter, first value each. */
  form: Record<string, string>;
  status: number;
}

/** A 1×1 PNG: what the fake serves for customers' MMS files. */
export const TWILIO_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * A local stand-in for api.twilio.com speaking the Messages API wire format: form-encoded
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP Basic auth (AccountSid:AuthToken)
 * answers 201 with a `SM…` sid, or Twilio's JSON error (`{ code, message, more_info, status }`);
 * `GET /2010-04-01/Accounts/{AccountSid}.json` is the account; inbound media
 * (`/Accounts/{sid}/Messages/{MM}/Media/{ME}`) needs Basic auth and redirects (307) to a CDN on
 * another origin that serves the bytes, as Twilio does (to a signed S3 URL). Webhooks are signed with `X-Twilio-Signature` over the full
 * URL plus the sorted POST parameters.
 */
export class FakeTwilio {
  readonly sends: TwilioSendRequest[] = [];
  /** Media downloads: path and whether they carried the account's credentials. */
  readonly mediaRequests: { path: string; authorized: boolean }[] = [];
  /** Downloads that reached the CDN (another origin): whether they still carried an Authorization header. */
  readonly cdnRequests: { path: string; authorization: string | undefined }[] = [];
  url = '';
  private cdnUrl = '';
  private readonly cdn = http.createServer((req, res) => {
    this.cdnRequests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(TWILIO_PNG.length) });
    res.end(TWILIO_PNG);
  });
  private outcome: TwilioSendOutcome = 'ok';
  private sendWaiters: { count: number; resolve: () => void }[] = [];
  private counter = 0;
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(
    readonly accountSid: string,
    readonly authToken: string,
  ) {}

  async start(): Promise<this> {
    this.url = await listenLocal(this.server);
    this.cdnUrl = await listenLocal(this.cdn);
    return this;
  }

  async close(): Promise<void> {
    for (const server of [this.server, this.cdn]) await closeServer(server);
  }

  /** Resolves once the fake has received more than `count` Messages create requests (no polling). */
  sendsAfter(count: number): Promise<void> {
    if (this.sends.length > count) return Promise.resolve();
    return new Promise((resolve) => this.sendWaiters.push({ count, resolve }));
  }

  nextSend(outcome: TwilioSendOutcome): void {
    this.outcome = outcome;
  }

  /** Twilio's id of the n-th thing it made (`SM…`, `MM…`, `ME…`): 32 hex digits after the prefix. */
  sid(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter.toString(16).padStart(32, '0')}`;
  }

  /** Where the fake serves an inbound file (what Twilio puts in `MediaUrlN`). */
  mediaUrl(messageSid: string): string {
    return `${this.url}/2010-04-01/Accounts/${this.accountSid}/Messages/${messageSid}/Media/${this.sid('ME')}`;
  }

  /** A webhook Twilio would POST to `url`: form body and headers, signed; `routerHeaders` adds what our router sets. */
  webhook(url: string, params: Record<string, string>, routerHeaders = false): { body: Buffer; headers: http.IncomingHttpHeaders } {
    const body = Buffer.from(new URLSearchParams(params).toString());
    const headers: http.IncomingHttpHeaders = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(this.authToken, url, parseForm(body)),
    };
    if (routerHeaders) headers[WEBHOOK_QUERY_HEADER] = new URL(url).search.slice(1);
    return { body, headers };
  }

  /** An inbound SMS's parameters as Twilio sends them to a number's messaging webhook. */
  inboundParams(from: string, to: string, body: string, media: { url: string; contentType: string }[] = []): Record<string, string> {
    const sid = this.sid(media.length ? 'MM' : 'SM');
    const params: Record<string, string> = {
      ToCountry: 'US',
      SmsMessageSid: sid,
      NumMedia: String(media.length),
      SmsSid: sid,
      SmsStatus: 'received',
      Body: body,
      To: to,
      NumSegments: '1',
      MessageSid: sid,
      AccountSid: this.accountSid,
      From: from,
      ApiVersion: '2010-04-01',
    };
    media.forEach((m, i) => {
      params[`MediaUrl${i}`] = m.url;
      params[`MediaContentType${i}`] = m.contentType;
    });
    return params;
  }

  /** A status callback's parameters for a message the fake accepted. */
  statusParams(sid: string, status: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      SmsSid: sid,
      SmsStatus: status,
      MessageStatus: status,
      MessageSid: sid,
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      ...extra,
    };
  }

  /** POSTs a signed webhook to `url` as Twilio would (for end-to-end tests); the HTTP status. */
  async post(url: string, params: Record<string, string>, signature?: string): Promise<number> {
    const { body, headers } = this.webhook(url, params);
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...(headers as Record<string, string>), ...(signature !== undefined ? { 'x-twilio-signature': signature } : {}) },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }

  private authorized(req: http.IncomingMessage): boolean {
    return req.headers.authorization === `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0];
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const error = (status: number, code: number, message: string) => ({
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });
    const account = `/2010-04-01/Accounts/${this.accountSid}`;

    const media = /^\/2010-04-01\/Accounts\/(AC\w+)\/Messages\/(MM\w+)\/Media\/(ME\w+)$/.exec(path);
    if (req.method === 'GET' && media) {
      const authorized = this.authorized(req) && media[1] === this.accountSid;
      this.mediaRequests.push({ path, authorized });
      if (!authorized) return reply(401, error(401, 20003, 'Authentication Error - invalid username'));
      res.writeHead(307, { location: `${this.cdnUrl}/cdn/${media[3]}` });
      return void res.end();
    }
    if (req.method === 'GET' && /^\/2010-04-01\/Accounts\/[^/]+\.json$/.test(path)) {
      if (path !== `${account}.json`) return reply(404, error(404, 20404, 'The requested resource was not found'));
      if (!this.authorized(req)) return reply(401, error(401, 20003, 'Authentication Error - invalid username'));
      return reply(200, { sid: this.accountSid, friendly_name: 'Switchboard test account', status: 'active', type: 'Full' });
    }
    if (req.method === 'POST' && path === `${account}/Messages.json`) {
      const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
      const record = (status: number, sid: string | null) => {
        this.sends.push({ sid, authorization: req.headers.authorization, contentType: req.headers['content-type'], form, status });
        const due = this.sendWaiters.filter((w) => this.sends.length > w.count);
        this.sendWaiters = this.sendWaiters.filter((w) => !due.includes(w));
        for (const w of due) w.resolve();
      };
      if (!this.authorized(req)) {
        record(401, null);
        return reply(401, error(401, 20003, 'Authentication Error - invalid username'));
      }
      const outcome = this.outcome;
      this.outcome = 'ok';
      if (outcome === 'temporary') {
        record(503, null);
        return reply(503, error(503, 20500, 'Internal Server Error'));
      }
      if (outcome === 'rejected') {
        record(400, null);
        return reply(400, error(400, 21211, `The 'To' number ${form.To} is not a valid phone number.`));
      }
      if (outcome === 'opted_out') {
        record(400, null);
        return reply(400, error(400, 21610, 'Attempt to send to unsubscribed recipient'));
      }
      if (outcome === 'rate_limited') {
        record(429, null);
        return reply(429, error(429, 20429, 'Too Many Requests'), { 'retry-after': '1' });
      }
      const sid = this.sid(form.MediaUrl ? 'MM' : 'SM');
      record(201, sid);
      return reply(201, {
        sid,
        account_sid: this.accountSid,
        to: form.To,
        from: form.From ?? null,
        messaging_service_sid: form.MessagingServiceSid ?? null,
        body: form.Body ?? '',
        status: 'queued',
        num_media: form.MediaUrl ? '1' : '0',
        api_version: '2010-04-01',
        uri: `${account}/Messages/${sid}.json`,
      });
    }
    reply(404, error(404, 20404, 'The requested resource was not found'));
  }
}
