// People told when an account is under attack: each sink of [notify] for
// real — a syslog socket in a temporary directory, the command's stdin, a
// local SMTP server, the UserEvent the scripted Asterisk is sent — and none
// of them may delay or change a call's result.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { AgiServer } from './helpers/serve-agi.js';
import { CliSite } from './helpers/cli-site.js';
import { recoveryEntry, SECRET, totp, wrongCode } from './helpers/site.js';
import { tempDir } from './helpers/temp.js';

const cleanup: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A unix datagram socket that keeps every line a syslog client sends it (python3: Node has no unix datagram sockets). */
async function syslogSocket(): Promise<{ path: string; lines: () => string[] }> {
  const dir = tempDir('astotp-syslog-');
  const path = join(dir, 'log');
  const out = join(dir, 'lines');
  const py = spawn(
    'python3',
    [
      '-c',
      'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nf=open(sys.argv[2],"ab",0)\nprint("ready",flush=True)\nwhile True:\n  f.write(s.recv(65536)+b"\\n")',
      path,
      out,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  cleanup.push(() => void py.kill('SIGKILL'));
  await ready(py);
  return { path, lines: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []) };
}

async function ready(p: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => p.stdout?.once('data', () => resolve()));
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A site whose astotp.conf has these [general] keys, [notify] and [web]. */
function site(
  general: Record<string, string | number>,
  notify: Record<string, string | number>,
  web: Record<string, string> = {},
): CliSite {
  const s = new CliSite();
  cleanup.push(() => s.remove());
  const section = (name: string, keys: Record<string, string | number>) =>
    `[${name}]\n${Object.entries(keys)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join('')}`;
  writeFileSync(
    join(s.confDir, 'astotp.conf'),
    [
      section('general', { tries: 1, timeout: 5, ...general }),
      section('notify', notify),
      ...(Object.keys(web).length ? [section('web', web)] : []),
    ].join(''),
  );
  return s;
}

/** A notify command that writes its stdin to `file`, then sleeps `sleep` seconds. */
function recorder(dir: string, sleep = 0): { command: string; file: string } {
  const file = join(dir, 'events.jsonl');
  const command = join(dir, 'notify.sh');
  writeFileSync(command, `#!/bin/sh\ncat >> '${file}'\nsleep ${sleep}\n`);
  chmodSync(command, 0o755);
  return { command, file };
}

/** The Subject: header, unfolded and its RFC 2047 words decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? '';
  const words = header.replace(/\?=\s+=\?/g, '?==?').replace(/\r?\n[ \t]/g, ' ');
  return words.replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) =>
    Buffer.from(
      q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      'latin1',
    ).toString('utf8'),
  );
}

/** Whether any process still runs `path` (the recorder shell, by its command line). */
function running(path: string): boolean {
  return readdirSync('/proc').some((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path);
    } catch {
      return false;
    }
  });
}

const eventsIn = (file: string): Array<Record<string, string>> =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, string>)
    : [];

describe('[notify]', () => {
  it('writes a lock to syslog and to the command, with no PIN or code, and a UserEvent on the call', async () => {
    const sock = await syslogSocket();
    const dir = tempDir('astotp-notify-');
    const rec = recorder(dir);
    const s = site({ lockout_failures: 1 }, { syslog: 'yes', syslog_socket: sock.path, command: rec.command, userevent: 'yes' });
    s.enroll('1001', '4321');
    const code = wrongCode();
    const r = await s.call({ inputs: ['1001', '4321', code], agi: { agi_callerid: '5551234' } });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
    // The UserEvent goes after the result, on the call's own channel.
    const setAt = r.commands.findIndex((c) => c.startsWith('SET VARIABLE ASTOTP_USER'));
    const execAt = r.commands.findIndex((c) => c.startsWith('EXEC UserEvent'));
    expect(execAt).toBeGreaterThan(setAt);
    expect(r.execs).toContainEqual([
      'UserEvent',
      expect.stringMatching(/^astotp,Kind: lock,User: 1001,At: .*,Source: agi,.*Callerid: 5551234/),
    ]);
    // Asterisk's own headers of the event are not sent again (AMI would hold two of each).
    expect(r.execs[0]![1]).not.toMatch(/(^|,)(Event|Channel|Uniqueid|Privilege|UserEvent):/);
    await until(() => sock.lines().length > 0 && eventsIn(rec.file).length > 0, 'the notices');
    expect(sock.lines()[0]).toMatch(/astotp: event lock user=1001 at=\S+ source=agi pbx=\S+ until=\S+ callerid=5551234/);
    expect(eventsIn(rec.file)[0]).toMatchObject({ event: 'lock', user: '1001', source: 'agi', callerid: '5551234' });
    for (const text of [...sock.lines(), readFileSync(rec.file, 'utf8'), ...r.execs.map(([, o]) => o)]) {
      expect(text).not.toContain('4321');
      expect(text).not.toContain(code);
    }
  });

  it('filters caller-controlled text so that it cannot forge UserEvent fields or syslog lines', async () => {
    const s = site({ lockout_failures: 1 }, { userevent: 'yes' });
    s.enroll('1001', '4321');
    const r = await s.call({ inputs: ['1001', '4321', wrongCode()], agi: { agi_channel: 'PJSIP/x,User: 9999|Event: forged' } });
    const [, options] = r.execs[0]!;
    expect(options.split(',').filter((f) => f.startsWith('User: '))).toEqual(['User: 1001']);
    expect(options).not.toMatch(/[\r\n|]/);
  });

  it('is news once a streak of failures with the right PIN reaches pin_streak, not before and not for wrong PINs', async () => {
    const dir = tempDir('astotp-notify-');
    const rec = recorder(dir);
    const s = site({ lockout_failures: 10 }, { command: rec.command, pin_streak: 2 });
    s.enroll('1001', '4321');
    await s.call({ inputs: ['1001', '9999', wrongCode()] });
    await s.call({ inputs: ['1001', '4321', wrongCode()] });
    await s.call({ inputs: ['1001', '4321', wrongCode()] });
    await until(() => eventsIn(rec.file).length > 0, 'the streak notice');
    await new Promise((r) => setTimeout(r, 1500));
    expect(eventsIn(rec.file).map((e) => [e.event, e.count])).toEqual([['pin-streak', '2']]);
  });

  it('tells of a recovery code used on a call and of a new secret the admin set, with neither code nor secret', async () => {
    const dir = tempDir('astotp-notify-');
    const rec = recorder(dir);
    const s = site({}, { command: rec.command });
    const enrolled = s.cli(['enroll', '1001', '--secret', SECRET, '--no-confirm', '--json'], '4321\n');
    expect(enrolled.status, enrolled.stderr).toBe(0);
    const codes = (JSON.parse(enrolled.stdout) as { recovery_codes: string[] }).recovery_codes;
    const ok = await s.call({ inputs: ['1001', '4321', ...recoveryEntry(codes[0]!)] });
    expect(ok.variables.ASTOTP).toBe('SUCCESS');
    await until(() => eventsIn(rec.file).length === 1, 'the recovery code notice');
    expect(eventsIn(rec.file)[0]).toMatchObject({ event: 'recovery-code-used', user: '1001', source: 'agi', count: '4' });
    const other = 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA';
    const reset = s.cli(['reset', '1001', '--secret', other, '--no-confirm', '--qr', 'none']);
    expect(reset.status, reset.stderr).toBe(0);
    await until(() => eventsIn(rec.file).length === 2, 'the new secret notice');
    expect(eventsIn(rec.file)[1]).toMatchObject({ event: 'secret-changed', user: '1001', source: 'admin' });
    const told = readFileSync(rec.file, 'utf8');
    for (const secret of [...codes, SECRET, other, '4321']) expect(told).not.toContain(secret);
  });

  it("still tells when the caller hangs up at the failure prompt (Asterisk's SIGHUP ends the call)", async () => {
    const dir = tempDir('astotp-notify-');
    const rec = recorder(dir);
    const s = site({ lockout_failures: 1 }, { command: rec.command });
    s.enroll('1001', '4321');
    const r = await s.call({
      inputs: ['1001', '4321', wrongCode()],
      interrupt: { at: 'STREAM FILE "otp/astotp-failed"', how: 'sighup' },
    });
    expect(r.msAfterHangup).toBeDefined();
    expect(r.exitCode).toBe(0);
    expect(r.variables.ASTOTP).toBe('FAILURE');
    await until(() => eventsIn(rec.file).length === 1, 'the lock notice');
    expect(eventsIn(rec.file)[0]).toMatchObject({ event: 'lock', user: '1001', source: 'agi' });
  });

  it("does not hold the result or the FastAGI server's other calls while the command hangs", async () => {
    const dir = tempDir('astotp-notify-');
    const rec = recorder(dir, 600);
    const s = site({ lockout_failures: 1 }, { command: rec.command, command_timeout: 8 });
    s.enroll('1001', '4321');
    s.enroll('1002', '4321');
    const started = Date.now();
    const r = await s.call({ inputs: ['1001', '4321', wrongCode()] });
    expect(r.exitCode).toBe(0);
    // The classic call is over while its notifier's command still sleeps.
    await until(() => eventsIn(rec.file).length === 1, 'the command to start');
    expect(Date.now() - started).toBeLessThan(10_000);
    const server = await AgiServer.start(s.env);
    cleanup.push(() => server.stop('SIGKILL').then(() => {}));
    const hung = await fastAgiCall({ port: server.port, inputs: ['1002', '4321', wrongCode()] });
    expect(hung.variables.ASTOTP_REASON).toBe('bad-credentials');
    await until(() => eventsIn(rec.file).length === 2, 'the second command to start');
    const next = await fastAgiCall({ port: server.port, inputs: ['1001', '4321', totp()] });
    // 1001 is locked from the first call: the answer comes at once all the same.
    expect(next.variables.ASTOTP_REASON).toBe('locked');
    // command_timeout kills the hung commands, with what they started: nothing is left behind.
    await until(() => !running(rec.command), 'the hung commands to be killed', 20_000);
  }, 60_000);

  it('mails the user in their language and the admin address, one mail per user and kind an hour', async () => {
    const received: Array<{ to: string[]; raw: string }> = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, done) {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => (raw += c));
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
    const port = (smtp.server.address() as AddressInfo).port;
    const s = site(
      { lockout_failures: 1 },
      { mail_user: 'yes', mail_admin: 'ops@example.org' },
      { smtp_url: `smtp://127.0.0.1:${port}`, mail_from: 'astotp <otp@example.org>' },
    );
    s.enroll('1001', '4321');
    expect(s.cli(['set', '1001', '--email', 'claire@example.org', '--language', 'fr']).status).toBe(0);
    await s.call({ inputs: ['1001', '4321', wrongCode()] });
    await until(() => received.length === 2, 'two mails');
    const toUser = received.find((m) => m.to.includes('claire@example.org'))!;
    const toAdmin = received.find((m) => m.to.includes('ops@example.org'))!;
    expect(subjectOf(toUser.raw)).toBe('Votre compte 1001 est bloqué pour un temps');
    expect(subjectOf(toAdmin.raw)).toBe('Your account 1001 is locked for a while');
    // The lock ran out, another one: within the hour no second mail of that kind.
    expect(s.cli(['unlock', '1001']).status).toBe(0);
    await s.call({ inputs: ['1001', '4321', wrongCode()] });
    // A new PIN is another kind: that one is mailed.
    expect(s.cli(['set-pin', '1001'], '5678\n5678\n').status).toBe(0);
    await until(() => received.length === 4, 'the PIN mails');
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.length).toBe(4);
    expect(
      received
        .slice(2)
        .map((m) => subjectOf(m.raw))
        .sort(),
    ).toEqual(['Le code PIN de votre compte 1001 a été changé', 'The PIN of your account 1001 was changed']);
  }, 60_000);

  it('costs a call nothing and fails no call when [notify] has a typo', async () => {
    const s = site({}, { sylsog: 'yes' });
    s.enroll('1001', '4321');
    const r = await s.call({ inputs: ['1001', '4321', totp()] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');
    expect(s.cli(['doctor']).stdout).toMatch(/\[notify\] sylsog: unknown setting/);
  });
});
