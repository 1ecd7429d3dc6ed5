import { registerEnumType } from 'type-graphql';

/** The provider name of email inboxes (SMTP out, raw MIME webhooks in). */
export const EMAIL_PROVIDER = 'email';

/** How the SMTP connection is protected. */
export enum SmtpSecurity {
  /** Implicit TLS from the first byte (SMTPS, usually port 465). */
  TLS = 'tls',
  /** Plain connect, then a required STARTTLS upgrade (submission, usually port 587). */
  STARTTLS = 'starttls',
  /** No TLS required (STARTTLS is still used when offered): local relays and test servers only. */
  NONE = 'none',
}

registerEnumType(SmtpSecurity, {
  name: 'SmtpSecurity',
  description: 'How the SMTP connection is protected.',
  valuesConfig: {
    TLS: { description: 'Implicit TLS from the first byte (SMTPS, usually port 465).' },
    STARTTLS: { description: 'Plain connect, then a required STARTTLS upgrade (submission, usually port 587).' },
    NONE: { description: 'No TLS required (STARTTLS still used when offered): for local relays and test servers only.' },
  },
});

/** An email inbox's `providerConfig`, secrets opened. */
export interface EmailSettings {
  smtpHost: string;
  smtpPort: number;
  smtpSecurity: SmtpSecurity;
  smtpUser: string | null;
  smtpPassword: string | null;
  /** Display name put before the inbox's address in `From`. */
  fromName: string | null;
  /** Authenticates inbound webhooks (HMAC key, or the Basic-auth password). */
  inboundSecret: string;
}

const SECURITIES: ReadonlySet<string> = new Set(Object.values(SmtpSecurity));

/** Reads the email keys of an inbox's providerConfig; a missing port follows the security (465 for TLS, else 587). */
export function emailSettings(config: Record<string, unknown>): EmailSettings {
  const s = (key: string) => (typeof config[key] === 'string' && config[key] !== '' ? (config[key] as string) : null);
  const security = s('smtpSecure');
  const smtpSecurity = security && SECURITIES.has(security) ? (security as SmtpSecurity) : SmtpSecurity.STARTTLS;
  const port = typeof config.smtpPort === 'number' ? config.smtpPort : smtpSecurity === SmtpSecurity.TLS ? 465 : 587;
  return {
    smtpHost: s('smtpHost') ?? '',
    smtpPort: port,
    smtpSecurity,
    smtpUser: s('smtpUser'),
    smtpPassword: s('smtpPassword'),
    fromName: s('fromName'),
    inboundSecret: s('inboundSecret') ?? '',
  };
}
