// invite --csv --send: every link mailed, in its user's language, through a
// real SMTP server (npm smtp-server) on a port the OS picked, logged in with
// the password from smtp_password_file; the links written to a new 0600 CSV.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { CliSite } from './helpers/cli-site.js';
import { tempDir } from './helpers/temp.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** The text part of a message as nodemailer encodes it (7bit, quoted-printable or base64). */
function bodyOf(raw: string): string {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  const encoding = /^Content-Transfer-Encoding: *(\S+)/im.exec(head)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** A header's value, RFC 2047 words decoded. */
function headerOf(raw: string, name: string): string {
  const head = raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
  const value = new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1] ?? '';
  return value.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

const received: Received[] = [];
const logins: string[] = [];
const smtp = new SMTPServer({
  authOptional: false,
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onAuth(auth, _session, done) {
    logins.push(`${auth.username}:${auth.password}`);
    if (auth.username === 'otp' && auth.password === 's3cret pass') return done(null, { user: 'otp' });
    return done(new Error('Invalid username or password'));
  },
  onData(stream, session, done) {
    let raw = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (raw += c));
    stream.on('end', () => {
      received.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
        raw,
      });
      done();
    });
  },
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

async function smtpPort(): Promise<number> {
  if (!smtp.server.listening) await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  return (smtp.server.address() as AddressInfo).port;
}

/** A site with `conf` as its astotp.conf and the SMTP password ('s3cret pass') in a 0600 file that [web] names. */
function mailingSite(conf: string): { site: CliSite; dir: string } {
  const site = new CliSite();
  const dir = tempDir('astotp-mail-');
  const passwordFile = join(dir, 'smtp.pass');
  writeFileSync(passwordFile, 's3cret pass\n', { mode: 0o600 });
  writeFileSync(join(site.confDir, 'astotp.conf'), conf.replace('[web]\n', `[web]\nsmtp_password_file = ${passwordFile}\n`));
  return { site, dir };
}

describe('astotp invite --csv --send', () => {
  it('mails each user their own link in their language, and writes the links to a new 0600 file', async () => {
    const port = await smtpPort();
    const { site, dir } = mailingSite(
      `[general]\nissuer = Example PBX\n[web]\nweb_url = https://otp.example.org/pbx\nsmtp_url = smtp://otp@127.0.0.1:${port}\nmail_from = Example OTP <otp@example.org>\n`,
    );
    const csv = join(dir, 'staff.csv');
    writeFileSync(
      csv,
      'user,name,email,language\n1001,Ann Example,ann@example.org,\n1002,Jérôme Dupont,jerome@example.org,fr\n1003,Иван Петров,ivan@example.org,ru\n',
    );
    const out = join(dir, 'links.csv');
    // Not site.cli: it would block this process, whose SMTP server must answer.
    const r = await site.cliAsync(['invite', '--csv', csv, '--send', '--out', out, '--activation-code', '--expires', '7d']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Mailed the link of 1002 to jerome@example.org.');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('user,name,email,language,link,expires,activation_code');
    const links = new Map(lines.slice(1).map((l) => [l.split(',')[0]!, /https:\/\/otp\.example\.org\/pbx\/enrol\/[\w-]{43}/.exec(l)![0]]));
    const codes = new Map(lines.slice(1).map((l) => [l.split(',')[0]!, l.split(',').at(-1)!]));
    expect(new Set(links.values()).size).toBe(3);

    expect(received.map((m) => m.to)).toEqual([['ann@example.org'], ['jerome@example.org'], ['ivan@example.org']]);
    expect(logins).toEqual(['otp:s3cret pass']);
    const [ann, jerome, ivan] = received;
    expect(ann!.from).toBe('otp@example.org');
    expect(headerOf(ann!.raw, 'Subject')).toBe('Set up your phone login at Example PBX');
    expect(headerOf(jerome!.raw, 'Subject')).toBe('Configurez votre connexion par téléphone chez Example PBX');
    expect(headerOf(ivan!.raw, 'Subject')).toBe('Настройка входа по телефону в Example PBX');
    expect(headerOf(jerome!.raw, 'To')).toContain('Jérôme Dupont');
    for (const [m, user] of [
      [ann, '1001'],
      [jerome, '1002'],
      [ivan, '1003'],
    ] as const) {
      const body = bodyOf(m!.raw);
      expect(body).toContain(links.get(user)!);
      for (const [other, link] of links) if (other !== user) expect(body).not.toContain(link);
      // The activation code goes by another channel, never in the mail.
      expect(body).not.toContain(codes.get(user)!);
      expect(body.replace(/\s/g, '')).not.toContain(codes.get(user)!);
    }
    expect(bodyOf(ann!.raw)).toContain('Hello Ann Example,');
    expect(bodyOf(jerome!.raw)).toContain("La page demande un code d'activation");
    expect(bodyOf(ivan!.raw)).toContain('Здравствуйте, Иван Петров!');
    expect(site.cli(['list']).stdout).toMatch(/^1003 +Иван Петров +invited, expires /m);
  });

  it('refuses a file with a wrong line whole, before any invitation or mail', async () => {
    const port = await smtpPort();
    const site = new CliSite();
    const dir = tempDir('astotp-mail-');
    writeFileSync(
      join(site.confDir, 'astotp.conf'),
      `[web]\nweb_url = https://otp.example.org\nsmtp_url = smtp://127.0.0.1:${port}\nmail_from = otp@example.org\n`,
    );
    const csv = join(dir, 'staff.csv');
    writeFileSync(csv, '2001,Bo,bo@example.org,en\n2002,Cy,,de\n2001,Again,again@example.org,\n');
    const before = received.length;
    const r = await site.cliAsync(['invite', '--csv', csv, '--send']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('staff.csv line 2: language: a language must be one of en, es, fr, it, ru');
    expect(r.stderr).toContain('staff.csv line 3: user 2001 is also on line 1');
    expect(r.stderr).toContain('2 errors in');
    expect(received.length).toBe(before);
    // Refused before the database was even opened: none was made.
    expect(site.cli(['invites']).stderr).toContain('does not exist (astotp init or astotp enroll creates it)');
  });
});

describe('the SMTP server of [web] that is not on this machine', () => {
  /** `astotp invite 1001 --send` in a network namespace of its own, the SMTP server (no STARTTLS) on `host` there. */
  function inviteThrough(host: string): { status: number; stderr: string; seen: { logins: string[]; mails: number } } {
    const { site } = mailingSite(
      `[web]\nweb_url = https://otp.example.org\nsmtp_url = smtp://otp@${host}:{port}\nmail_from = otp@example.org\n`,
    );
    const driver = join(import.meta.dirname, 'helpers', 'smtp-in-netns.mjs');
    const r = spawnSync(
      'unshare',
      [
        '--net',
        'sh',
        '-c',
        'ip link set lo up && ip addr add 192.0.2.25/32 dev lo && exec "$@"',
        'sh',
        process.execPath,
        driver,
        host,
        join(site.confDir, 'astotp.conf'),
        process.execPath,
        BUNDLE_PATH,
        'invite',
        '1001',
        '--email',
        'ann@example.org',
        '--send',
        '--qr',
        'none',
      ],
      { env: site.env, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ReturnType<typeof inviteThrough>;
  }

  it.runIf(process.geteuid?.() === 0)(
    'gets no password and no mail without STARTTLS, and names why; on loopback plain SMTP is taken',
    () => {
      const remote = inviteThrough('192.0.2.25');
      expect(remote.seen).toEqual({ logins: [], mails: 0 });
      expect(remote.status).toBe(1);
      expect(remote.stderr).toMatch(/STARTTLS/);
      expect(remote.stderr).not.toContain('s3cret pass');
      // The same server and site on loopback, in the same kind of namespace: the mail goes.
      const local = inviteThrough('127.0.0.1');
      expect(local.seen).toEqual({ logins: ['otp'], mails: 1 });
      expect(local.status, local.stderr).toBe(0);
    },
  );
});
