import http from 'node:http';
import { closeServer, listenLocal, readBody } from './fake-server';

/** How the fake answers the next send (then back to `ok`). */
export type TelegramSendOutcome = 'ok' | 'temporary' | 'rejected' | 'rate_limited';

/** One Bot API call the fake received: the method and its parameters (multipart files as bytes). */
export interface BotApiCall {
  method: string;
  params: Record<string, unknown>;
  files: Record<string, { bytes: Buffer; filename: string; type: string }>;
}

/** Reaction emoji a bot may set (Bot API ReactionTypeEmoji); a subset is enough for the fake to refuse the rest. */
const FAKE_REACTIONS = new Set(['👍', '👎', '❤', '🔥', '🎉', '🙏', '👌', '😁', '🤔']);

/**
 * A local stand-in for api.telegram.org speaking the Bot API wire format: `POST /bot<token>/<method>`
 * with JSON or multipart parameters answering `{ ok, result }` or `{ ok: false, error_code,
 * description, parameters }`, and `GET /file/bot<token>/<file_path>` serving files named by
 * `getFile`. A wrong token is 401 Unauthorized, as Telegram answers it.
 */
export class FakeTelegram {
  readonly calls: BotApiCall[] = [];
  /** What setWebhook registered. */
  webhook: { url: string; secretToken: string; allowedUpdates: unknown } | null = null;
  url = '';
  private outcome: TelegramSendOutcome = 'ok';
  private reactionOutcome: TelegramSendOutcome = 'ok';
  private readonly messageIds = new Map<string, number>();
  private readonly files = new Map<string, { path: string; bytes: Buffer }>();
  private updateId = 700_000_000;
  private waiters: { method: string; resolve: (call: BotApiCall) => void }[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(readonly botToken: string) {}

  async start(): Promise<void> {
    this.url = await listenLocal(this.server);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  nextSend(outcome: TelegramSendOutcome): void {
    this.outcome = outcome;
  }

  /** How the fake answers the next setMessageReaction (then back to `ok`). */
  nextReaction(outcome: TelegramSendOutcome): void {
    this.reactionOutcome = outcome;
  }

  /** Resolves with the next call of `method` (one already made counts when `after` calls of it came before). */
  nextCall(method: string, after = this.callsOf(method).length): Promise<BotApiCall> {
    const made = this.callsOf(method);
    if (made.length > after) return Promise.resolve(made[after]);
    return new Promise((resolve) => this.waiters.push({ method, resolve }));
  }

  /** The next message id in a chat: Telegram numbers a chat's messages, both sides', from one counter. */
  nextMessageId(chatId: number | string): number {
    const id = (this.messageIds.get(String(chatId)) ?? 0) + 1;
    this.messageIds.set(String(chatId), id);
    return id;
  }

  /** Calls of one method, in order. */
  callsOf(method: string): BotApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Makes a file downloadable through getFile; returns its file_id. */
  addFile(bytes: Buffer, path: string): string {
    const fileId = `AgACAgIAAxkBAAI${this.files.size + 1}`;
    this.files.set(fileId, { path, bytes });
    return fileId;
  }

  /** A fresh update_id, increasing as Telegram's are. */
  nextUpdateId(): number {
    return ++this.updateId;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const fail = (code: number, description: string, parameters?: Record<string, unknown>) =>
      reply(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });

    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (file) {
      const found = [...this.files.values()].find((f) => f.path === file[2]);
      if (file[1] !== this.botToken || !found) return fail(404, 'Not Found');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(found.bytes);
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return fail(404, 'Not Found');
    if (m[1] !== this.botToken) return fail(401, 'Unauthorized');
    const call = await parseParams(m[2], req.headers['content-type'] ?? '', raw);
    this.calls.push(call);
    const waiting = this.waiters.filter((w) => w.method === call.method);
    this.waiters = this.waiters.filter((w) => w.method !== call.method);
    for (const w of waiting) w.resolve(call);
    const p = call.params;
    switch (call.method) {
      case 'getMe':
        return reply(200, {
          ok: true,
          result: { id: Number(this.botToken.split(':')[0]), is_bot: true, first_name: 'Acme', username: 'acme_support_bot' },
        });
      case 'setWebhook':
        this.webhook = { url: String(p.url), secretToken: String(p.secret_token ?? ''), allowedUpdates: p.allowed_updates };
        return reply(200, { ok: true, result: true, description: 'Webhook was set' });
      case 'getFile': {
        const f = this.files.get(String(p.file_id));
        if (!f) return fail(400, 'Bad Request: invalid file_id');
        return reply(200, {
          ok: true,
          result: { file_id: p.file_id, file_unique_id: 'AQAD', file_size: f.bytes.length, file_path: f.path },
        });
      }
      case 'setMessageReaction': {
        const outcome = this.reactionOutcome;
        this.reactionOutcome = 'ok';
        if (outcome === 'rate_limited') return fail(429, 'Too Many Requests: retry after 0', { retry_after: 0 });
        if (outcome === 'temporary') return fail(502, 'Bad Gateway');
        const reaction = Array.isArray(p.reaction) ? (p.reaction as { emoji?: string }[]) : [];
        if (reaction.some((r) => !FAKE_REACTIONS.has(r.emoji ?? ''))) return fail(400, 'Bad Request: REACTION_INVALID');
        return reply(200, { ok: true, result: true });
      }
      case 'sendMessage':
      case 'sendPhoto':
      case 'sendDocument':
      case 'sendVideo':
      case 'sendAudio':
      case 'sendSticker': {
        const outcome = this.outcome;
        this.outcome = 'ok';
        if (outcome === 'temporary') return fail(502, 'Bad Gateway');
        if (outcome === 'rejected') return fail(403, 'Forbidden: bot was blocked by the user');
        if (outcome === 'rate_limited') return fail(429, 'Too Many Requests: retry after 1', { retry_after: 1 });
        const chat = String(p.chat_id);
        const id = this.nextMessageId(chat);
        return reply(200, {
          ok: true,
          result: {
            message_id: id,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(chat), type: 'private' },
            ...(p.text ? { text: p.text } : {}),
          },
        });
      }
      default:
        return fail(404, 'Not Found: method not found');
    }
  }
}

/** Bot API parameters from a JSON or multipart body (JSON-serialised fields in a form are parsed). */
async function parseParams(method: string, contentType: string, raw: Buffer): Promise<BotApiCall> {
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const params: Record<string, unknown> = {};
    const files: BotApiCall['files'] = {};
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') params[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
      else files[key] = { bytes: Buffer.from(await value.arrayBuffer()), filename: (value as File).name, type: value.type };
    }
    return { method, params, files };
  }
  const text = raw.toString('utf8');
  return { method, params: text ? (JSON.parse(text) as Record<string, unknown>) : {}, files: {} };
}

/** A private-chat `Message` from `chatId`, as Telegram puts it in an update. */
export function telegramMessage(chatId: number, messageId: number, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    message_id: messageId,
    from: { id: chatId, is_bot: false, first_name: 'Ilse', last_name: 'Berg', language_code: 'de' },
    chat: { id: chatId, first_name: 'Ilse', last_name: 'Berg', type: 'private' },
    date: Math.floor(Date.now() / 1000),
    ...fields,
  };
}

/** A `message_reaction` update body: the customer's reaction list changed from `old` to `next`. */
export function telegramReactionUpdate(
  updateId: number,
  chatId: number,
  messageId: number,
  old: string[],
  next: string[],
): Record<string, unknown> {
  return {
    update_id: updateId,
    message_reaction: {
      chat: { id: chatId, type: 'private' },
      message_id: messageId,
      user: { id: chatId, is_bot: false, first_name: 'Ilse' },
      date: Math.floor(Date.now() / 1000),
      old_reaction: old.map((emoji) => ({ type: 'emoji', emoji })),
      new_reaction: next.map((emoji) => ({ type: 'emoji', emoji })),
    },
  };
}

/** A small valid PNG (1×1, red). */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
