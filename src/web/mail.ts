// Invitation mails through the site's SMTP server (nodemailer), each in the
// user's language. The server must speak TLS (smtps) or STARTTLS unless it
// is on this machine; the mail holds the link, never the activation code,
// which goes by another channel.
import nodemailer from 'nodemailer';
import type { UserLanguage } from '../auth/user-profile.js';
import type { SmtpSettings } from '../config/web-settings.js';
import { DEFAULT_LANGUAGE, fill, localTime, textsOf } from './texts/index.js';
import { errorMessage } from '../text/error-message.js';

export interface InvitationMail {
  to: string;
  user: string;
  name: string | null;
  language: UserLanguage | null;
  link: string;
  expiresAt: number;
  activationCode: boolean;
}

export interface MailOutcome {
  user: string;
  to: string;
  sent: boolean;
  /** Why not, as the SMTP server or the connection said it. */
  error?: string;
}

/** The mail's subject and text, in its language. */
export function invitationText(m: InvitationMail, issuer: string): { subject: string; text: string } {
  const lang = m.language ?? DEFAULT_LANGUAGE;
  const t = textsOf(lang);
  const hello = m.name === null ? t.mail_hello : fill(t.mail_hello_named, { name: m.name });
  const lines = [
    hello,
    '',
    fill(t.mail_invited, { issuer, user: m.user }),
    '',
    m.link,
    '',
    fill(t.mail_until, { time: localTime(lang, m.expiresAt) }),
    ...(m.activationCode ? [t.mail_activation] : []),
    '',
    t.mail_ignore,
  ];
  return { subject: fill(t.mail_subject, { issuer }), text: `${lines.join('\n')}\n` };
}

/** Sends each mail in turn; an outcome per mail, in order. */
export async function sendInvitationMails(
  smtp: SmtpSettings,
  from: string,
  issuer: string,
  mails: readonly InvitationMail[],
): Promise<MailOutcome[]> {
  // One connection and one login for all the mails.
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 1,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // Plain SMTP would carry every link in clear: only to a server on this machine.
    requireTLS: !smtp.secure && !smtp.loopback,
    ...(smtp.user === null ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
    tls: { minVersion: 'TLSv1.2' },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  const outcomes: MailOutcome[] = [];
  try {
    for (const m of mails) {
      const { subject, text } = invitationText(m, issuer);
      try {
        await transport.sendMail({ from, to: m.name === null ? m.to : { name: m.name, address: m.to }, subject, text });
        outcomes.push({ user: m.user, to: m.to, sent: true });
      } catch (err) {
        outcomes.push({ user: m.user, to: m.to, sent: false, error: errorMessage(err).replace(/\s+/g, ' ').slice(0, 200) });
      }
    }
  } finally {
    transport.close();
  }
  return outcomes;
}
