// The pbotp tools as an admin runs them: astotp pbotp ... through the built
// bundle, with its real stdin, stdout, stderr, host name and signals.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { formatKey, parsePrivateKey, publicKeyOf } from '../src/pbotp/keys.js';
import { decodeBase64url, encodeBase64url } from '../src/pbotp/base64url.js';
import { newChallenge, respond } from '../src/pbotp/protocol.js';
import { loginData, type LoginFields } from '../src/pbotp/login.js';
import { groupCode, toCode, toPhrase } from '../src/pbotp/encode.js';
import { encodeChallengeDigits } from '../src/pbotp/challenge-digits.js';

const PRIV = 'zGRMAXRoSKwMZG5EM-_B-s8oxTfICcfBiN1PAHCCqVo';
const PUB = 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ';
// X25519(nonce of the protocol example, 9)
const CHALLENGE = '0SFyjtn--dz0K8rfCmDesHE08Ylvt5kfFoTd3WuotiM';
const VECTOR_LOGIN = 'Login: group dev, host SSSN7PBXFG6DY, user root\n';
const HOST = hostname();
const HOST_PATTERN = HOST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `astotp pbotp ARGS` running, with what it has written so far. */
class Pbotp {
  readonly child: ChildProcessWithoutNullStreams;
  readonly done: Promise<number | null>;
  out = '';
  err = '';
  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BUNDLE_PATH, 'pbotp', ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    });
    this.child.stdout.on('data', (c: Buffer) => (this.out += c.toString()));
    this.child.stderr.on('data', (c: Buffer) => (this.err += c.toString()));
    this.done = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }
  get stdin(): NodeJS.WritableStream {
    return this.child.stdin;
  }
  async waitFor(pattern: RegExp, stream: 'out' | 'err' = 'out'): Promise<RegExpMatchArray> {
    for (let i = 0; i < 2000; i++) {
      const m = this[stream].match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${pattern} in ${this[stream]}`);
  }
}

async function run(args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  const p = new Pbotp(args);
  p.child.stdin.end(input);
  const code = await p.done;
  return { code, out: p.out, err: p.err };
}

let dir: string;
let keyFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pbotp-cli-'));
  keyFile = join(dir, 'authority.key');
  writeFileSync(keyFile, `${PRIV}\n`, { mode: 0o600 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('astotp pbotp genkey', () => {
  it('privkey prints a new key; pubkey derives the public key from stdin', async () => {
    const a = await run(['genkey', 'privkey']);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    const b = await run(['genkey', 'pubkey'], a.out);
    expect(b.code).toBe(0);
    expect(b.out).toBe(`${formatKey(publicKeyOf(parsePrivateKey(a.out)))}\n`);
    expect((await run(['genkey', 'pubkey'], `  ${PRIV}  \n\n`)).out).toBe(`${PUB}\n`);
  });

  it('pubkey refuses input that is not a private key', async () => {
    const r = await run(['genkey', 'pubkey'], 'hello\n');
    expect(r.code).toBe(1);
    expect(r.err).toContain('private key must be 43 base64url characters');
    expect(r.out).toBe('');
  });

  it('privkey --out creates the file with mode 0600 and reports the public key', async () => {
    const out = join(dir, 'new.key');
    const oldMask = process.umask(0);
    try {
      const r = await run(['genkey', 'privkey', '--out', out]);
      expect(r.code).toBe(0);
      expect(r.out).toBe('');
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const key = parsePrivateKey(readFileSync(out, 'utf8'));
      expect(r.err).toContain(formatKey(publicKeyOf(key)));
    } finally {
      process.umask(oldMask);
    }
  });

  it('privkey --out refuses to overwrite unless --force', async () => {
    const r = await run(['genkey', 'privkey', '--out', keyFile]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('already exists; use --force');
    expect(readFileSync(keyFile, 'utf8')).toBe(`${PRIV}\n`);
    chmodSync(keyFile, 0o644);
    const f = await run(['genkey', 'privkey', '--out', keyFile, '--force']);
    expect(f.code).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(`${PRIV}\n`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('privkey --out refuses a world-writable directory without sticky bit', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await run(['genkey', 'privkey', '--out', join(open, 'k')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('writable by everyone');
  });

  it('usage errors exit 2', async () => {
    expect((await run(['genkey'])).code).toBe(2);
    expect((await run(['genkey', 'both'])).code).toBe(2);
    expect((await run(['genkey', 'privkey', '--force'])).code).toBe(2);
    expect((await run(['genkey', 'privkey', '--bogus'])).code).toBe(2);
  });
});

describe('astotp pbotp respond', () => {
  it('prints the code of the protocol example grouped in threes', async () => {
    const r = await run(['respond', '--key', keyFile, 'dev', 'SSSN7PBXFG6DY', 'root', CHALLENGE]);
    expect(r).toEqual({ code: 0, out: `${VECTOR_LOGIN}526 044 548\n`, err: '' });
  });

  it('takes -k for --key', async () => {
    expect(await run(['respond', '-k', keyFile, 'dev', 'SSSN7PBXFG6DY', 'root', CHALLENGE])).toEqual({
      code: 0,
      out: `${VECTOR_LOGIN}526 044 548\n`,
      err: '',
    });
  });

  it('takes a URL, other lengths and phrases', async () => {
    const url = `https://auth.example/pbotp/dev/SSSN7PBXFG6DY/root/${CHALLENGE}`;
    expect((await run(['respond', '--key', keyFile, url])).out).toBe(`${VECTOR_LOGIN}526 044 548\n`);
    expect((await run(['respond', '--key', keyFile, '--digits', '19', url])).out).toBe(`${VECTOR_LOGIN}590 619 313 052 604 454 8\n`);
    expect((await run(['respond', '--key', keyFile, '--phrase', url])).out).toBe(`${VECTOR_LOGIN}correct horse avocado cupboard unlock\n`);
    expect((await run(['respond', '--key', keyFile, '--words', '4', url])).out).toBe(`${VECTOR_LOGIN}correct horse avocado cupboard\n`);
  });

  it('takes the challenge as phone digit groups, one argument or several', async () => {
    const groups = encodeChallengeDigits(decodeBase64url(CHALLENGE, 32));
    expect((await run(['respond', '--key', keyFile, 'dev', 'SSSN7PBXFG6DY', 'root', ...groups])).out).toBe(`${VECTOR_LOGIN}526 044 548\n`);
    expect((await run(['respond', '--key', keyFile, 'dev', 'SSSN7PBXFG6DY', 'root', groups.join('-')])).out).toBe(
      `${VECTOR_LOGIN}526 044 548\n`,
    );
    groups[12] = groups[12]!.replace(/.$/, (d) => String((Number(d) + 1) % 10));
    const bad = await run(['respond', '--key', keyFile, 'dev', 'SSSN7PBXFG6DY', 'root', ...groups]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('check digit wrong in group 13');
  });

  it('takes positional fields and challenges that begin with "-"', async () => {
    // One challenge in 64 begins with '-' in base64url.
    let challenge = newChallenge(decodeBase64url(PUB, 32)).challenge;
    while (!encodeBase64url(challenge).startsWith('-')) challenge = newChallenge(decodeBase64url(PUB, 32)).challenge;
    const text = encodeBase64url(challenge);
    const answer = (login: LoginFields) =>
      `Login: group ${login.group}, host ${login.host}, user ${login.user}\n${groupCode(toCode(respond(parsePrivateKey(PRIV), challenge, loginData(login))))}\n`;
    expect(await run(['respond', '--key', keyFile, 'dev', 'pbx1', 'root', text])).toEqual({
      code: 0,
      out: answer({ group: 'dev', host: 'pbx1', user: 'root' }),
      err: '',
    });
    expect(await run(['respond', '-k', keyFile, '--digits', '9', '-dev', '-x', '--root', text])).toEqual({
      code: 0,
      out: answer({ group: '-dev', host: '-x', user: '--root' }),
      err: '',
    });
    // A first field that looks like an option needs --, as documented.
    expect((await run(['respond', '--key', keyFile, '-x', 'pbx1', 'root', text])).code).toBe(2);
    expect(await run(['respond', '--key', keyFile, '--', '-x', 'pbx1', 'root', text])).toEqual({
      code: 0,
      out: answer({ group: '-x', host: 'pbx1', user: 'root' }),
      err: '',
    });
  });

  it('prints the login a pasted URL answers for, and refuses URLs a parser would rewrite', async () => {
    const r = await run(['respond', '--key', keyFile, `https://auth.example/p/dev/first.last/a@b.example/${CHALLENGE}`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Login: group dev, host first\.last, user a@b\.example\n\d{3} \d{3} \d{3}\n$/);
    for (const [url, message] of [
      [`https://auth.example/dev/prod/db1\\root/${CHALLENGE}`, 'URL contains a backslash or white space'],
      [`https://auth.example/dev/prod/db1/../root/${CHALLENGE}`, 'URL contains the path segment ".."'],
      [`https://auth.example/x/dev/./SSSN7PBXFG6DY/root/${CHALLENGE}`, 'URL contains the path segment "."'],
      [`https://auth.example/x/%2e%2E/dev/SSSN7PBXFG6DY/root/${CHALLENGE}`, 'URL contains the path segment "%2e%2E"'],
      [`https://auth.example/dev/SSSN7PBXFG6DY/ro\tot/${CHALLENGE}`, 'URL contains a backslash or white space'],
    ]) {
      expect(await run(['respond', '--key', keyFile, url!])).toEqual({ code: 1, out: '', err: `astotp: ${message}\n` });
    }
  });

  it.each([
    ['a Cyrillic look-alike', 'r\u043e\u043et', 'U+043E'],
    ['U+3164', 'root\u3164', 'U+3164'],
    ['U+2800', '\u2800root', 'U+2800'],
    ['U+034F', 'ro\u034fot', 'U+034F'],
    ['U+FE0F', 'root\ufe0f', 'U+FE0F'],
    ['a composed letter', 'm\u00fcller', 'U+00FC'],
    ['a combining mark', 'mu\u0308ller', 'U+0308'],
  ])('refuses a user with %s, given as a field or in a URL', async (_, user, codePoint) => {
    const err = `astotp: user contains ${codePoint}: only ASCII letters, digits and _ . @ - are allowed\n`;
    expect(await run(['respond', '--key', keyFile, 'dev', 'SSSN7PBXFG6DY', user, CHALLENGE])).toEqual({ code: 1, out: '', err });
    const url = `https://auth.example/dev/SSSN7PBXFG6DY/${encodeURIComponent(user)}/${CHALLENGE}`;
    expect(await run(['respond', '--key', keyFile, url])).toEqual({ code: 1, out: '', err });
  });

  it('refuses fields that are "." or ".."', async () => {
    expect(await run(['respond', '--key', keyFile, 'dev', '.', 'root', CHALLENGE])).toEqual({
      code: 1,
      out: '',
      err: 'astotp: host cannot be "."\n',
    });
    expect(await run(['respond', '--key', keyFile, '..', 'h', 'root', CHALLENGE])).toEqual({
      code: 1,
      out: '',
      err: 'astotp: group cannot be ".."\n',
    });
  });

  it('warns when the key file is readable by others', async () => {
    chmodSync(keyFile, 0o644);
    const r = await run(['respond', '--key', keyFile, 'dev', 'SSSN7PBXFG6DY', 'root', CHALLENGE]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('accessible by group or others (mode 0644)');
  });

  it('fails on bad input and exits 2 on bad usage', async () => {
    expect((await run(['respond', '--key', keyFile, 'dev', 'h', 'root', CHALLENGE.slice(1)])).code).toBe(1);
    expect((await run(['respond', '--key', join(dir, 'missing'), 'dev', 'h', 'root', CHALLENGE])).code).toBe(1);
    expect((await run(['respond', 'dev', 'h', 'root', CHALLENGE])).code).toBe(2);
    expect((await run(['respond', '--key', keyFile, 'dev', 'h'])).code).toBe(2);
    expect((await run(['respond', '--key', keyFile, '--digits', '20', 'dev', 'h', 'u', CHALLENGE])).code).toBe(2);
    expect((await run(['respond', '--key', keyFile, '--digits', '6', '--phrase', 'dev', 'h', 'u', CHALLENGE])).code).toBe(2);
  });
});

describe('astotp pbotp --help', () => {
  it.each([[[]], [['genkey']], [['respond']], [['serve']], [['challenge']]])('%j --help', async (cmd) => {
    const r = await run([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: astotp pbotp/);
  });

  it('is the help of the one CLI: astotp help pbotp COMMAND, and usage errors point there', async () => {
    const help = spawnSync(process.execPath, [BUNDLE_PATH, 'help', 'pbotp', 'respond'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: astotp pbotp respond --key FILE URL\n/);
    // The global options mean nothing here: --key is the authority's key.
    expect(help.stdout).not.toContain('--db PATH');
    const r = await run(['respond', 'dev', 'h', 'root', CHALLENGE]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("astotp: --key FILE is required\nRun 'astotp help pbotp respond' for usage.\n");
    expect((await run(['respond', '--db', 'x', '--key', keyFile, 'dev', 'h', 'root', CHALLENGE])).err).toMatch(
      /^astotp: unknown option --db\n/,
    );
  });

  it('unknown commands exit 2', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['constructor'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
  });
});

describe('astotp pbotp challenge', () => {
  async function start(args: string[]) {
    const io = new Pbotp(['challenge', '--pubkey', PUB, '--group', 'dev', '--user', 'root', ...args]);
    const done = io.done;
    const [, text] = await io.waitFor(/Challenge: ([A-Za-z0-9_-]{43})\n/);
    // The QR code and URL come after the challenge, right above the prompt.
    await io.waitFor(/(Code|Phrase) \(\d+ (digits|words)\): $/);
    const response = respond(parsePrivateKey(PRIV), decodeBase64url(text!, 32), loginData({ group: 'dev', host: HOST, user: 'root' }));
    return { io, done, response };
  }

  it('shows QR, URL and digit groups, and accepts the right code once', async () => {
    const { io, done, response } = await start(['--base-url', 'https://auth.example/p']);
    expect(io.out).toMatch(/[█▀▄]/);
    expect(io.out).toMatch(new RegExp(`URL: https://auth\\.example/p/dev/${HOST_PATTERN}/root/[A-Za-z0-9_-]{43}\n`));
    expect(io.out).toMatch(/Challenge digits: (\d{7} ){12}\d{7}\n/);
    expect(io.out).toMatch(/Code \(9 digits\): $/);
    io.stdin.end(` ${toCode(response).replace(/(\d{3})/g, '$1 ')}\n`);
    expect(await done).toBe(0);
    expect(io.err).toContain('accepted');
  });

  it('exits 1 on a wrong code and on no answer', async () => {
    const wrong = await start(['--qr', 'none']);
    const code = toCode(wrong.response);
    wrong.io.stdin.end(`${code.slice(0, 8)}${(Number(code[8]) + 1) % 10}\n`);
    expect(await wrong.done).toBe(1);
    const none = await start(['--qr', 'none']);
    none.io.stdin.end();
    expect(await none.done).toBe(1);
  });

  it('gives up after --timeout with the input still open', async () => {
    const { io, done } = await start(['--qr', 'none', '--timeout', '1']);
    expect(await done).toBe(1);
    expect(io.err).toBe('pbotp: no answer\n');
    io.stdin.end();
  });

  it('exits right after the verdict while its input stays open', async () => {
    const right = await start(['--qr', 'none']);
    right.io.stdin.write(`${toCode(right.response)}\n`);
    expect(await right.done).toBe(0);
    expect(right.io.child.stdin.writableEnded).toBe(false);
    right.io.stdin.end();
    const wrong = await start(['--qr', 'none']);
    wrong.io.stdin.write('000000000\n');
    expect(await wrong.done).toBe(1);
    expect(wrong.io.child.stdin.writableEnded).toBe(false);
    wrong.io.stdin.end();
  });

  it('gives up after --timeout when part of a line came and the input stays open', async () => {
    const { io, done } = await start(['--qr', 'none', '--timeout', '1']);
    io.stdin.write('526 044');
    expect(await done).toBe(1);
    expect(io.err).toBe('pbotp: no answer\n');
    expect(io.child.stdin.writableEnded).toBe(false);
    io.stdin.end();
  });

  it('takes option values that begin with "-", with or without =', async () => {
    for (const user of [['--user', '-x'], ['--user=-x']]) {
      const io = new Pbotp(['challenge', '--pubkey', PUB, '--group', 'dev', '--host', 'pbx1', ...user, '--qr', 'none']);
      await io.waitFor(/Code \(9 digits\): $/);
      expect(io.out).toContain('Login: group dev, host pbx1, user -x\n');
      io.stdin.end();
      expect(await io.done).toBe(1);
    }
  });

  it('refuses a login field that is not a plain ASCII name, before showing a challenge', async () => {
    const r = await run(['challenge', '--pubkey', PUB, '--group', 'dev', '--host', 'pbx1', '--user', 'r\u043e\u043et', '--qr', 'none']);
    expect(r).toEqual({ code: 1, out: '', err: 'astotp: user contains U+043E: only ASCII letters, digits and _ . @ - are allowed\n' });
    expect((await run(['challenge', '--pubkey', PUB, '--group', '..', '--host', 'pbx1', '--user', 'root'])).err).toBe(
      'astotp: group cannot be ".."\n',
    );
  });

  it('checks phrases with white space and case ignored', async () => {
    const { io, done, response } = await start(['--phrase', '--words', '3', '--qr', 'ascii', '--base-url', 'http://x']);
    expect(io.out).toContain('##');
    expect(io.out).toMatch(/Phrase \(3 words\): $/);
    io.stdin.end(`${toPhrase(response, 3).toUpperCase()}\n`);
    expect(await done).toBe(0);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['challenge', '--group', 'dev', '--user', 'root'])).code).toBe(2);
    expect((await run(['challenge', '--pubkey', PUB, '--user', 'root'])).code).toBe(2);
    expect((await run(['challenge', '--pubkey', PUB, '--group', 'g', '--user', 'u', '--qr', 'png'])).code).toBe(2);
    expect((await run(['challenge', '--pubkey', 'short', '--group', 'g', '--user', 'u'])).code).toBe(1);
  });
});

describe('a reader that closes the output early', () => {
  it('genkey pubkey ends quietly with its usual status', async () => {
    const io = new Pbotp(['genkey', 'pubkey']);
    io.child.stdout.destroy();
    io.stdin.end(`${PRIV}\n`);
    expect(await io.done).toBe(0);
    expect(io.err).toBe('');
  });

  it('challenge still judges the answer typed after the reader went away', async () => {
    const io = new Pbotp(['challenge', '--pubkey', PUB, '--group', 'dev', '--host', 'pbx1', '--user', 'root', '--qr', 'none']);
    const [, text] = await io.waitFor(/Challenge: ([A-Za-z0-9_-]{43})\n/);
    await io.waitFor(/Code \(9 digits\): $/);
    io.child.stdout.destroy();
    const response = respond(parsePrivateKey(PRIV), decodeBase64url(text!, 32), loginData({ group: 'dev', host: 'pbx1', user: 'root' }));
    io.stdin.end(`${toCode(response)}\n`);
    expect(await io.done).toBe(0);
    expect(io.err).toBe('pbotp: accepted\n');
  });
});

describe('astotp pbotp serve', () => {
  it('serves until SIGTERM and logs requests to the access log file', async () => {
    const accessLog = join(dir, 'access.log');
    const io = new Pbotp(['serve', '--key', keyFile, '--no-login', '--listen', '127.0.0.1:0', '--access-log', accessLog]);
    const done = io.done;
    const [, port] = await io.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//, 'err');
    expect(io.err).toContain(PUB);
    expect(io.err).toContain(
      `pbotp: WARNING: --no-login: no login, no audit: anyone who can reach 127.0.0.1:${port} gets responses for every group, for a lab only\n`,
    );
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/dev/SSSN7PBXFG6DY/root/${CHALLENGE}`, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toContain('526 044 548');
    expect(body).toContain('correct horse avocado cupboard unlock');
    io.child.kill('SIGTERM');
    expect(await done).toBe(0);
    const log = readFileSync(accessLog, 'utf8');
    expect(log).toMatch(new RegExp(`127\\.0\\.0\\.1 GET /dev/SSSN7PBXFG6DY/root/${CHALLENGE} 200\\n$`));
    expect(log).not.toContain(PRIV);
  });

  it('serves only the groups given with --allow-group, which may be repeated', async () => {
    const io = new Pbotp(['serve', '-k', keyFile, '--no-login', '--listen', '127.0.0.1:0', '--allow-group', 'pbx', '--allow-group', 'dev']);
    const [, port] = await io.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//, 'err');
    const status = (group: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/${group}/SSSN7PBXFG6DY/root/${CHALLENGE}`, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).on('error', reject);
      });
    expect([await status('dev'), await status('pbx'), await status('ssh')]).toEqual([200, 200, 403]);
    io.child.kill('SIGTERM');
    expect(await io.done).toBe(0);
    expect(io.out).toMatch(/ GET \/ssh\/SSSN7PBXFG6DY\/root\/\S+ 403\n$/);
  });

  it("without --no-login needs an authority's database, and --no-login takes none", async () => {
    const none = await run(['serve', '--key', keyFile, '--db', join(dir, 'none.sqlite3'), '--listen', '127.0.0.1:0']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^astotp: database \S+none\.sqlite3 does not exist/m);
    const both = await run(['serve', '--key', keyFile, '--no-login', '--db', join(dir, 'none.sqlite3')]);
    expect(both.code).toBe(2);
    expect(both.err).toContain('astotp: --db is for the console; --no-login serves without a database');
  });

  it('exits 1 when it cannot listen, 2 on a bad --listen', async () => {
    expect((await run(['serve', '--key', keyFile, '--listen', 'nonsense'])).code).toBe(2);
    expect((await run(['serve', '--key', keyFile, '--no-login', '--listen', '192.0.2.1:1'])).code).toBe(1);
    const badLog = await run([
      'serve',
      '--key',
      keyFile,
      '--no-login',
      '--listen',
      '127.0.0.1:0',
      '--access-log',
      join(dir, 'no', 'such', 'log'),
    ]);
    expect(badLog.code).toBe(1);
    expect(badLog.err).toContain('ENOENT');
  });
});
