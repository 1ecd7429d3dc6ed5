import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buffer as readAll } from 'node:stream/consumers';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** How the fake answers the end of the next DATA (then back to 250). */
export type SmtpOutcome = 'ok' | 'temporary' | 'rejected' | 'rate_limited';

/** SMTP replies as real servers word them (RFC 5321 codes, RFC 3463 enhanced status). */
const ANSWERS: Readonly<Record<Exclude<SmtpOutcome, 'ok'>, { responseCode: number; message: string }>> = {
  temporary: { responseCode: 451, message: '4.3.0 Temporary local problem, try again' },
  rejected: { responseCode: 550, message: '5.1.1 The email account that you tried to reach does not exist' },
  rate_limited: { responseCode: 451, message: '4.7.1 Rate limited: too many messages, slow down' },
};

/** One DATA the fake received: the envelope, the raw message and mailparser's reading of it. */
export interface CapturedMail {
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
  answered: SmtpOutcome;
}

/**
 * A local SMTP server (smtp-server, no TLS) that requires `user`/`pass`, keeps every message it
 * receives and answers as told by {@link nextSend}.
 */
export class FakeSmtp {
  readonly mails: CapturedMail[] = [];
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private outcome: SmtpOutcome = 'ok';
  port = 0;
  private readonly server: SMTPServer;

  constructor(
    readonly user = 'support@shop.example',
    readonly pass = 'smtp-password',
  ) {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, cb) =>
        auth.username === this.user && auth.password === this.pass
          ? cb(null, { user: auth.username })
          : cb(new Error('5.7.8 Username and Password not accepted')),
      onData: (stream, session, cb) => {
        void (async () => {
          const raw = await readAll(stream);
          const answered = this.outcome;
          this.outcome = 'ok';
          const envelope = session.envelope;
          this.mails.push({
            from: envelope.mailFrom ? envelope.mailFrom.address : '',
            to: envelope.rcptTo.map((r) => r.address),
            raw,
            parsed: await simpleParser(raw),
            answered,
          });
          for (const w of this.waiters.filter((w) => this.mails.length >= w.count)) w.resolve();
          if (answered === 'ok') return cb();
          cb(Object.assign(new Error(ANSWERS[answered].message), { responseCode: ANSWERS[answered].responseCode }));
        })();
      },
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  nextSend(outcome: SmtpOutcome): void {
    this.outcome = outcome;
  }

  /** Resolves once `count` messages have arrived. */
  received(count: number): Promise<void> {
    if (this.mails.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A 1×1 PNG: a customer's attachment. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** A customer's email as their mail client writes it (RFC 5322 + MIME), CRLF line ends. */
export interface CustomerEmail {
  from: string;
  fromName?: string;
  to: string;
  subject: string;
  text: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  attachment?: { filename: string; mimeType: string; data: Buffer };
}

/** The raw message of {@link CustomerEmail}; the Message-ID defaults to a hash of the text, so a repeat is the same email. */
export function customerEmail(mail: CustomerEmail): Buffer {
  const messageId = mail.messageId ?? `<${createHash('sha256').update(mail.text).digest('hex').slice(0, 24)}@mail.customer.example>`;
  const headers = [
    `From: ${mail.fromName ? `"${mail.fromName}" ` : ''}<${mail.from}>`,
    `To: <${mail.to}>`,
    `Subject: ${mail.subject}`,
    'Date: Fri, 04 Dec 2026 09:30:00 +0000',
    `Message-ID: ${messageId}`,
    ...(mail.inReplyTo ? [`In-Reply-To: ${mail.inReplyTo}`] : []),
    ...(mail.references ? [`References: ${mail.references.join(' ')}`] : []),
    'MIME-Version: 1.0',
  ];
  const textPart = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', mail.text];
  if (!mail.attachment) return Buffer.from([...headers, ...textPart].join('\r\n') + '\r\n');
  const boundary = '----=_Part_42_customer';
  const { filename, mimeType, data } = mail.attachment;
  const base64 = data
    .toString('base64')
    .replace(/.{1,76}/g, '$&\r\n')
    .trimEnd();
  return Buffer.from(
    [
      ...headers,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      ...textPart,
      `--${boundary}`,
      `Content-Type: ${mimeType}; name="${filename}"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="${filename}"`,
      '',
      base64,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}
