import http from 'node:http';
import { whatsAppSignature } from '../../src/channels/whatsapp-cloud/whatsapp-cloud.adapter';
import { closeServer, listenLocal, readBody } from './fake-server';

/** How often the fake misbehaves; each send request draws once. */
export interface MetaFaults {
  /** Share of requests answered 500 without accepting the message. */
  serverErrorRate: number;
  /** Share of requests accepted (and reported) whose answer is held for `lateAnswerMs`, past the adapter's timeout. */
  lateAcceptRate: number;
  lateAnswerMs: number;
  /** Share of accepted messages Meta never reports back (no status webhook at all). */
  silentRate: number;
}

/** What the fake does with one send request. */
export type MetaBehaviour = 'ok' | 'error' | 'late' | 'silent' | 'late_silent';

/** One copy of a message Meta accepted (a customer received it once per copy). */
export interface MetaCopy {
  wamid: string;
  /** Our message id, as sent in `biz_opaque_callback_data`. */
  messageId: string | null;
  requestedAt: number;
  late: boolean;
  silent: boolean;
  /** Statuses our server acknowledged (HTTP 2xx), in order. */
  acked: string[];
  /** When our server first acknowledged a status of this copy (it knew the copy from then on). */
  firstAckAt: number | null;
}

interface Delivery {
  copy: MetaCopy;
  step: number;
  dueAt: number;
}

const STATUS_CHAIN = ['sent', 'delivered', 'read'] as const;

/** Statuses per webhook at most (Meta groups several in `value.statuses`). */
const BATCH = 20;

/**
 * A local stand-in for the WhatsApp Cloud API (graph.facebook.com) speaking Meta's wire format:
 * `POST /v21.0/{phone-number-id}/messages` with a Bearer token answers `messages[0].id` (a wamid);
 * every accepted message is reported sent → delivered → read by signed (`X-Hub-Signature-256`)
 * status webhooks carrying `biz_opaque_callback_data`, redelivered until the server answers 2xx, as
 * Meta does. Faults are drawn per request from `faults` with a seeded random source.
 */
export class FakeMeta {
  readonly copies: MetaCopy[] = [];
  requests = 0;
  serverErrors = 0;
  /** Every node lookup (`GET /{id}`): the path and the Authorization header it came with. */
  readonly lookups: { path: string; authorization: string | undefined }[] = [];
  /** Every send request, accepted or not: whose message and when. */
  readonly requestLog: { messageId: string | null; at: number }[] = [];
  /** Status webhooks our server did not acknowledge, by HTTP status (0: no answer). */
  readonly refusals: Record<string, number> = {};
  private target: string | null = null;
  /** Called when a message is accepted, before it is answered (a test kills the server here). */
  onAccept: ((copy: MetaCopy) => void) | null = null;
  url = '';
  private readonly queue: Delivery[] = [];
  private posting = 0;
  private held = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(
    readonly opts: {
      phoneNumberId: string;
      accessToken: string;
      appSecret: string;
      faults: MetaFaults;
      random: () => number;
      /** Webhooks posted at once (Meta spreads them; one server should not drown). */
      webhookConcurrency?: number;
      /** Pause between a copy's statuses and before a redelivery. */
      webhookDelayMs?: number;
      /** Overrides the random draw for a request (tests script single messages by their text). */
      script?: (text: string) => MetaBehaviour | null;
      /** A promise to hold an accepted copy's answer until it settles (a test plays Meta's slow answer), or null. */
      holdAnswer?: (copy: MetaCopy) => Promise<void> | null;
    },
  ) {}

  /** Where status webhooks go; null while our server is down (deliveries wait, then resume). */
  get webhookUrl(): string | null {
    return this.target;
  }

  set webhookUrl(url: string | null) {
    this.target = url;
    if (url) this.pump();
  }

  async start(): Promise<void> {
    this.url = `${await listenLocal(this.server)}/v21.0`;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await closeServer(this.server);
  }

  /** Accepted copies of one of our messages. */
  copiesOf(messageId: string): MetaCopy[] {
    return this.copies.filter((c) => c.messageId === messageId);
  }

  /** Nothing left to report and no answer held back. */
  get idle(): boolean {
    return this.queue.length === 0 && this.posting === 0 && this.held === 0;
  }

  /** Resolves once {@link idle}. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Posts a signed customer message webhook (the customer writes first, which opens the window). */
  async inbound(from: string, id: string, text: string): Promise<number> {
    const body = this.webhookBody({
      contacts: [{ profile: { name: `Customer ${from}` }, wa_id: from }],
      messages: [{ from, id, timestamp: unix(), type: 'text', text: { body: text } }],
    });
    return this.post(body);
  }

  private webhookBody(value: Record<string, unknown>): string {
    return whatsAppWebhookBody('WABA-1', this.opts.phoneNumberId, value);
  }

  private async post(body: string): Promise<number> {
    if (!this.target) return 0;
    try {
      const res = await fetch(this.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': whatsAppSignature(this.opts.appSecret, body) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => null);
      return res.status;
    } catch {
      return 0;
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const reply = (status: number, json: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const error = (code: number, message: string) => ({ error: { message, type: 'OAuthException', code, fbtrace_id: 'AbC' } });
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && /^\/v21\.0\/[^/]+$/.test(path)) {
      // A node lookup (`GET /{phone-number-id}`), as testInboxConnection makes it: 401/190 for a bad token, 400/100 for an unknown id.
      this.lookups.push({ path, authorization: req.headers.authorization });
      if (req.headers.authorization !== `Bearer ${this.opts.accessToken}`) return reply(401, error(190, 'Invalid OAuth access token.'));
      const id = decodeURIComponent(path.slice('/v21.0/'.length));
      if (id !== this.opts.phoneNumberId) {
        return reply(400, {
          error: {
            ...error(
              100,
              `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
            ).error,
            error_subcode: 33,
          },
        });
      }
      return reply(200, { id, display_phone_number: '+1 415-555-0111', verified_name: 'Acme Demo', quality_rating: 'GREEN' });
    }
    if (req.method !== 'POST' || req.url !== `/v21.0/${this.opts.phoneNumberId}/messages`) return reply(404, error(100, 'Unknown path'));
    if (req.headers.authorization !== `Bearer ${this.opts.accessToken}`) return reply(401, error(190, 'Invalid OAuth access token.'));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return reply(400, error(100, 'Invalid JSON'));
    }
    this.requests++;
    const messageId = typeof body.biz_opaque_callback_data === 'string' ? body.biz_opaque_callback_data : null;
    this.requestLog.push({ messageId, at: Date.now() });
    const behaviour = this.opts.script?.((body.text as { body?: string } | undefined)?.body ?? '') ?? this.draw();
    if (behaviour === 'error') {
      this.serverErrors++;
      return reply(500, error(1, 'An unknown error has occurred.'));
    }
    const late = behaviour === 'late' || behaviour === 'late_silent';
    const copy: MetaCopy = {
      wamid: `wamid.HBgL${String(this.copies.length + 1).padStart(6, '0')}`,
      messageId,
      requestedAt: Date.now(),
      late,
      silent: behaviour === 'silent' || behaviour === 'late_silent',
      acked: [],
      firstAckAt: null,
    };
    this.copies.push(copy);
    if (!copy.silent) this.enqueue({ copy, step: 0, dueAt: Date.now() + this.delay });
    this.onAccept?.(copy);
    const answer = { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: copy.wamid }] };
    const hold = this.opts.holdAnswer?.(copy);
    if (hold) {
      this.held++;
      void hold.then(() => {
        this.held--;
        reply(200, answer);
        this.checkIdle();
      });
      return;
    }
    if (!late) return reply(200, answer);
    this.held++;
    setTimeout(() => {
      this.held--;
      reply(200, answer);
      this.checkIdle();
    }, this.opts.faults.lateAnswerMs);
  }

  /** Draws a request's fate from the fault rates. */
  private draw(): MetaBehaviour {
    const { faults, random } = this.opts;
    const draw = random();
    if (draw < faults.serverErrorRate) return 'error';
    const late = draw < faults.serverErrorRate + faults.lateAcceptRate;
    const silent = random() < faults.silentRate;
    return late ? (silent ? 'late_silent' : 'late') : silent ? 'silent' : 'ok';
  }

  /** Posts one signed status webhook for a copy now (tests play Meta's late report), returning our HTTP status. */
  reportNow(copy: MetaCopy, status: 'sent' | 'delivered' | 'read' | 'failed', extra: Record<string, unknown> = {}): Promise<number> {
    return this.post(
      this.webhookBody({
        statuses: [
          {
            id: copy.wamid,
            status,
            timestamp: unix(),
            recipient_id: '4915112340000',
            ...(copy.messageId ? { biz_opaque_callback_data: copy.messageId } : {}),
            ...extra,
          },
        ],
      }),
    );
  }

  private get delay(): number {
    return this.opts.webhookDelayMs ?? 20;
  }

  private enqueue(d: Delivery): void {
    this.queue.push(d);
    this.pump();
  }

  /**
   * Posts due statuses, up to {@link BATCH} per webhook as Meta groups them, with a few webhooks in
   * flight; a refused or failed webhook is redelivered after a pause. Nothing is posted while our
   * server is down (setting {@link webhookUrl} resumes).
   */
  private pump(): void {
    if (this.closed || !this.target) return;
    const limit = this.opts.webhookConcurrency ?? 4;
    const now = Date.now();
    while (this.posting < limit) {
      const due = this.queue.filter((d) => d.dueAt <= now).slice(0, BATCH);
      if (due.length === 0) break;
      for (const d of due) this.queue.splice(this.queue.indexOf(d), 1);
      this.posting++;
      void this.deliver(due).finally(() => {
        this.posting--;
        this.pump();
        this.checkIdle();
      });
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length) {
      const next = Math.min(...this.queue.map((d) => d.dueAt));
      this.timer = setTimeout(() => this.pump(), Math.max(1, next - now));
    }
  }

  private async deliver(batch: Delivery[]): Promise<void> {
    const body = this.webhookBody({
      statuses: batch.map((d) => ({
        id: d.copy.wamid,
        status: STATUS_CHAIN[d.step],
        timestamp: unix(),
        recipient_id: '4915112340000',
        ...(d.copy.messageId ? { biz_opaque_callback_data: d.copy.messageId } : {}),
      })),
    });
    const code = await this.post(body);
    const now = Date.now();
    if (code >= 200 && code < 300) {
      for (const d of batch) {
        d.copy.acked.push(STATUS_CHAIN[d.step]);
        d.copy.firstAckAt ??= now;
        if (d.step + 1 < STATUS_CHAIN.length) this.queue.push({ copy: d.copy, step: d.step + 1, dueAt: now + this.delay });
      }
    } else {
      this.refusals[code] = (this.refusals[code] ?? 0) + 1;
      for (const d of batch) this.queue.push({ ...d, dueAt: now + this.delay * 2 });
    }
  }

  private checkIdle(): void {
    if (!this.idle) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** A `whatsapp_business_account` webhook body (Cloud API "Webhooks" payload) around one `messages` change value. */
export function whatsAppWebhookBody(businessAccountId: string, phoneNumberId: string, value: Record<string, unknown>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: businessAccountId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '14155550111', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  });
}

function unix(): string {
  return String(Math.floor(Date.now() / 1000));
}

/** A small seeded PRNG (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
