import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { ChannelKind } from '../../modules/channel/channel-kind';
import { ContentKind } from '../../modules/message/content-kind';
import { sameSecret } from '../../lib/same-secret';
import { channelCapabilities } from '../capabilities';
import {
  headerValue,
  type AdapterCapabilities,
  type AdapterInbox,
  type AdapterMedia,
  type ChannelAdapter,
  type ConnectionTestResult,
  type FetchedMedia,
  type InboundMediaSource,
  type NormalisedInboundEvent,
  type OutboundMessage,
  type SendContext,
  type SendFailure,
  type SendResult,
} from '../channel-adapter';
import { notConfigured } from '../http-failure';
import { EMAIL_PROVIDER, emailSettings, SmtpSecurity, type EmailSettings } from './email.settings';
import { outboundMessageId, parseInboundEmail, rawMessageOf, replyHeaders, replySubject, smtpReplyFailure, textToHtml } from './email.wire';

export { EMAIL_PROVIDER } from './email.settings';

/** The header an inbound-mail relay signs the body with: `sha256=<hex HMAC-SHA256 keyed with the inbound secret>`. */
export const EMAIL_SIGNATURE_HEADER = 'x-switchboard-signature';

/** Computes the {@link EMAIL_SIGNATURE_HEADER} value of a webhook body. */
export function emailSignature(inboundSecret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', inboundSecret).update(rawBody).digest('hex')}`;
}

/** How far an SMTP session got: a connection lost during `send` may have delivered the DATA. */
type SmtpPhase = 'connect' | 'login' | 'send';

/** An SMTP session that failed, with the phase it failed in. */
class SmtpSessionError extends Error {
  constructor(
    readonly phase: SmtpPhase,
    override readonly cause: SMTPConnection.SMTPError,
  ) {
    super(cause.message);
  }
}

/**
 * Email over SMTP (nodemailer's SMTPConnection, one connection per send) with inbound raw MIME
 * webhooks. Replies thread in the customer's client through `Message-ID` (ours, stable per
 * message), `In-Reply-To`/`References` and a `Re:` subject (see SendContext.thread). SMTP has no
 * idempotency and no delivery receipts: statuses end at SENT, and a connection lost once the
 * message was being transmitted is `uncertain`.
 */
export class EmailAdapter implements ChannelAdapter {
  readonly provider = EMAIL_PROVIDER;
  readonly channel = ChannelKind.EMAIL;
  readonly idempotentSends = false;
  readonly wantsThread = true;
  readonly capabilities: AdapterCapabilities = { ...channelCapabilities(ChannelKind.EMAIL), deliveryReceipts: false };
  private readonly settings: EmailSettings;

  constructor(
    private readonly inbox: AdapterInbox,
    private readonly media?: AdapterMedia,
  ) {
    if (inbox.channel !== ChannelKind.EMAIL) {
      throw new Error(`Inbox ${inbox.id}: the email provider carries EMAIL inboxes only, not ${inbox.channel}.`);
    }
    this.settings = emailSettings(inbox.providerConfig);
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    if (!this.settings.smtpHost) return notConfigured('The inbox has no SMTP host.');
    const mail = await this.compose(message, ctx);
    if (typeof mail === 'string') return { ok: false, failure: { kind: 'unsupported', code: 'unsupported', reason: mail } };
    const raw = await new MailComposer(mail).compile().build();
    try {
      await this.session(ctx.signal, (conn) =>
        callback<SMTPConnection.SentMessageInfo>((cb) => conn.send({ from: this.inbox.senderAddress, to: [ctx.to] }, raw, cb)),
      );
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      return { ok: false, failure: smtpFailure(err) };
    }
    return { ok: true, channelMessageId: mail.messageId as string };
  }

  /** The message as nodemailer builds it, or why it cannot go by email. */
  private async compose(message: OutboundMessage, ctx: SendContext): Promise<Mail.Options | string> {
    const { content } = message;
    let text: string;
    const attachments: Mail.Attachment[] = [];
    switch (content.kind) {
      case ContentKind.TEXT:
        text = content.body;
        break;
      case ContentKind.MEDIA: {
        const parts = [content.caption ?? ''];
        if (content.mediaId) {
          const file = await this.media?.file(content.mediaId);
          if (!file) return `the file ${content.mediaId} is not available to this inbox`;
          attachments.push({ filename: file.filename, content: await file.read(), contentType: file.mimeType });
        } else if (content.url) {
          // Linked rather than fetched: the server would otherwise download any URL an agent names.
          parts.push(content.url);
        } else return 'the media names neither an uploaded file nor a URL';
        text = parts.filter(Boolean).join('\n\n');
        break;
      }
      case ContentKind.TEMPLATE:
      case ContentKind.RICH:
      case ContentKind.NOTE:
        return `${content.kind} messages cannot be sent by email`;
    }
    const { fromName } = this.settings;
    return {
      from: fromName ? { name: fromName, address: this.inbox.senderAddress } : this.inbox.senderAddress,
      to: ctx.to,
      subject: replySubject(ctx.thread?.subject, fromName ? `Message from ${fromName}` : 'Message'),
      messageId: outboundMessageId(message.id, this.inbox.senderAddress),
      ...replyHeaders(ctx.thread, message.replyToChannelMessageId),
      text,
      html: textToHtml(text),
      attachments,
    };
  }

  /**
   * Connects, logs in when the inbox has a user, runs `work` and quits. Errors carry the phase:
   * only a failure during `work` can have reached the recipient's server.
   */
  private async session<T>(signal: AbortSignal, work: (conn: SMTPConnection) => Promise<T>): Promise<T> {
    const { smtpHost, smtpPort, smtpSecurity, smtpUser, smtpPassword } = this.settings;
    const conn = new SMTPConnection({
      host: smtpHost,
      port: smtpPort,
      secure: smtpSecurity === SmtpSecurity.TLS,
      requireTLS: smtpSecurity === SmtpSecurity.STARTTLS,
      name: /@([^@\s>]+)$/.exec(this.inbox.senderAddress)?.[1],
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      logger: false,
    });
    let phase: SmtpPhase = 'connect';
    // The connection reports a broken socket as an 'error' event (or just 'end'), not to the pending callback.
    const broken = new Promise<never>((_, reject) => {
      conn.once('error', (err: SMTPConnection.SMTPError) => reject(err));
      conn.once('end', () => reject(Object.assign(new Error('The SMTP server closed the connection.'), { code: 'ECONNECTION' })));
    });
    broken.catch(() => undefined);
    const abort = () => conn.close();
    signal.addEventListener('abort', abort, { once: true });
    const step = <R>(p: Promise<R>) => Promise.race([p, broken]);
    try {
      await step(callback<void>((cb) => conn.connect((err) => cb(err ?? null))));
      if (smtpUser) {
        phase = 'login';
        await step(callback<void>((cb) => conn.login({ user: smtpUser, pass: smtpPassword ?? '' }, (err) => cb(err ?? null))));
      }
      phase = 'send';
      const result = await step(work(conn));
      conn.quit();
      return result;
    } catch (err) {
      conn.close();
      throw new SmtpSessionError(phase, err as SMTPConnection.SMTPError);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  verifySignature(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    const secret = this.settings.inboundSecret;
    if (!secret) return false;
    const signature = headerValue(headers, EMAIL_SIGNATURE_HEADER);
    if (signature) {
      if (!/^sha256=[0-9a-f]{64}$/i.test(signature)) return false;
      return sameSecret(signature.toLowerCase(), emailSignature(secret, rawBody));
    }
    // Inbound-mail services that cannot sign put the secret in the URL (https://user:secret@host/…).
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(headerValue(headers, 'authorization') ?? '');
    if (!basic) return false;
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon !== -1 && sameSecret(decoded.slice(colon + 1), secret);
  }

  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<NormalisedInboundEvent[]> {
    return parseInboundEmail(rawMessageOf(rawBody, headerValue(headers, 'content-type')));
  }

  /** Attachments come in the email itself; there is nothing to download. */
  fetchMedia(source: InboundMediaSource): Promise<FetchedMedia> {
    if (!source.data) return Promise.reject(new Error('An email attachment carries its bytes; this one has none.'));
    return Promise.resolve({ body: source.data, mimeType: source.mimeType, filename: source.filename });
  }

  /** Connects and logs in, as nodemailer's `verify()` does, without sending anything. */
  async testConnection(signal: AbortSignal): Promise<ConnectionTestResult> {
    const { smtpHost, smtpPort, smtpUser } = this.settings;
    if (!smtpHost) return { status: 'unreachable', message: 'The inbox has no SMTP host.' };
    try {
      await this.session(signal, async () => undefined);
    } catch (err) {
      const cause = err instanceof SmtpSessionError ? err.cause : (err as SMTPConnection.SMTPError);
      if (cause.code === 'EAUTH' || cause.responseCode === 535)
        return { status: 'bad_credentials', message: `The SMTP server refused the login of ${smtpUser ?? '(no user)'}: ${cause.message}` };
      return { status: 'unreachable', message: `The SMTP server ${smtpHost}:${smtpPort} could not be used: ${cause.message}` };
    }
    return { status: 'ok', message: `Connected to ${smtpHost}:${smtpPort}${smtpUser ? ` as ${smtpUser}` : ''}.` };
  }
}

/** nodemailer error codes that mean "the server refused what we gave it" rather than "no answer". */
const REFUSED_WITHOUT_REPLY: Readonly<Record<string, SendFailure['kind']>> = {
  EAUTH: 'auth',
  EENVELOPE: 'rejected',
  EMESSAGE: 'rejected',
};

/**
 * A failed SMTP session as a send failure: a server reply by its code (see SMTP_REPLIES); a
 * login refused without one as `auth`; a broken connection as `temporary`, and `uncertain` when it
 * broke while the message was being transmitted (the server may have queued it before we heard).
 */
function smtpFailure(err: unknown): SendFailure {
  const phase = err instanceof SmtpSessionError ? err.phase : 'send';
  const cause = (err instanceof SmtpSessionError ? err.cause : err) as SMTPConnection.SMTPError;
  if (typeof cause.responseCode === 'number') return smtpReplyFailure(cause.responseCode, cause.response ?? cause.message);
  const refused = cause.code ? REFUSED_WITHOUT_REPLY[cause.code] : undefined;
  if (refused) return { kind: refused, code: `smtp_${cause.code!.toLowerCase()}`, reason: cause.message };
  return {
    kind: 'temporary',
    code: 'smtp_connection',
    reason: `The SMTP server ${phase === 'send' ? 'stopped answering during the send' : 'could not be reached'}: ${cause.message}${cause.code ? ` (${cause.code})` : ''}`,
    ...(phase === 'send' ? { uncertain: true } : {}),
  };
}

/** A node-style callback API as a promise. */
function callback<T>(start: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}
