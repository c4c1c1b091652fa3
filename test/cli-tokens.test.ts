// Key fobs through the bundle: PSKC files (RFC 6030's own examples, files
// python3-pskc encrypted, a vendor's file of 1,000 fobs) imported all or
// none, the token commands with their audit rows, and calls that take a
// fob's code and the app's code for the same user, each once.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { encryptedPskc, FIXTURES, type Fob, plainPskc, pskc2csv, writeText } from './helpers/pskc-files.js';
import { SECRET, totp } from './helpers/site.js';

vi.setConfig({ testTimeout: 60_000 });

/** RFC 4226's secret, the one RFC 6030's examples carry too. */
const RFC_SECRET = Buffer.from('12345678901234567890');
const hex = (b: Buffer) => b.toString('hex');

/** oathtool's HOTP code of `secret` at `counter`. */
const hotpCode = (secret: Buffer, counter: number, digits = 6) =>
  execFileSync('oathtool', ['--hotp', '-d', String(digits), '-c', String(counter), hex(secret)], { encoding: 'utf8' }).trim();

/** oathtool's current TOTP code of `secret`, as a fob with `step` seconds shows it. */
const fobTotp = (secret: Buffer, opts: { step: number; digits: number; algorithm: string }) =>
  execFileSync('oathtool', [`--totp=${opts.algorithm}`, `--time-step-size=${opts.step}s`, '-d', String(opts.digits), hex(secret)], {
    encoding: 'utf8',
  }).trim();

interface TokenJson {
  serial: string;
  kind: string;
  user: string | null;
  enabled: boolean;
  digits: number;
  algorithm: string;
  period: number | null;
  counter: number | null;
}

function site(general: Record<string, string | number> = {}): CliSite {
  const s = new CliSite();
  s.config({ timeout: 5, ...general });
  return s;
}

const tokens = (s: CliSite, user?: string) => s.json<TokenJson[]>(['token', 'list', ...(user ? [user] : [])]).value;

/** stderr without the warning a root-owned test directory brings (tests may run as root). */
const errOf = (r: { stderr: string }) => r.stderr.replace(/^astotp: warning: .* is owned by root, .*\n/gm, '');
/** The errors an import printed, one per line, the summary line last. */
const errorLines = (stderr: string) => errOf({ stderr }).trim().split('\n');

describe('astotp import --pskc', () => {
  it("reads RFC 6030's Figure 6 with its pre-shared key and Figure 7 with its passphrase", () => {
    const s = site({ digits: 8 });
    s.enroll('1001', '4321');
    const psk = writeText(s.astDir, 'psk.hex', '12345678901234567890123456789012\n');
    const fig6 = join(FIXTURES, 'rfc6030-figure6.xml');
    const r6 = s.cli(['import', '--pskc', fig6, '--pskc-key-file', psk]);
    expect(errOf(r6)).toBe('');
    expect(r6.stdout).toBe("Imported 1 token, 1 nobody's yet (astotp token assign SERIAL USER).\n");
    // Figure 7 names the same device serial: a copy with another one, so both can be in one database.
    const fig7 = writeText(
      s.astDir,
      'figure7.xml',
      readFileSync(join(FIXTURES, 'rfc6030-figure7.xml'), 'utf8').replace('987654321', '987654322'),
    );
    const pass = writeText(s.astDir, 'pass', 'qwerty\n');
    expect(s.cli(['import', '--pskc', fig7, '--pskc-passphrase-file', pass]).status).toBe(0);
    expect(tokens(s).map((t) => [t.serial, t.kind, t.user, t.digits, t.counter])).toEqual([
      ['987654321', 'hotp', null, 8, 0],
      ['987654322', 'hotp', null, 8, 0],
      ['app:1001', 'app', '1001', 8, null],
    ]);
    // Both hold RFC 4226's secret: their codes are its codes.
    expect(s.cli(['token', 'assign', '987654321', '1001']).status).toBe(0);
    expect(s.cli(['verify', '1001', hotpCode(RFC_SECRET, 0, 8)]).stdout).toBe('SUCCESS\n');
    expect(s.cli(['verify', '1001', hotpCode(RFC_SECRET, 0, 8)]).stdout).toBe('FAILURE (bad-credentials)\n');
  });

  it("refuses RFC 6030's Figure 2 (a 4-byte secret) and Figure 10 (one serial on two keys), by key package and line", () => {
    const s = site({ digits: 8 });
    const fig2 = s.cli(['import', '--pskc', join(FIXTURES, 'rfc6030-figure2.xml')]);
    expect(fig2.status).toBe(1);
    expect(errorLines(fig2.stderr)).toEqual([
      `${join(FIXTURES, 'rfc6030-figure2.xml')} key package 1 (line 12): the secret has 4 bytes; a fob's secret has 16 to 64`,
      'astotp: 1 error in the input; nothing was imported',
    ]);
    const fig10 = s.cli(['import', '--pskc', join(FIXTURES, 'rfc6030-figure10.xml')]);
    expect(errorLines(fig10.stderr)).toEqual([
      `${join(FIXTURES, 'rfc6030-figure10.xml')} key package 4 (line 87): serial 9999999 is also key package 3 (line 60)`,
      'astotp: 1 error in the input; nothing was imported',
    ]);
  });

  it('reads files python3-pskc encrypted, as its pskc2csv reads them, and their fobs log in', async () => {
    const s = site({ digits: 8 });
    s.enroll('1001', '4321');
    s.enroll('1002', '4321');
    const totpSecret = Buffer.from('12345678901234567890123456789012');
    const fobs: Fob[] = [
      { serial: 'PSK-H1', kind: 'hotp', secret: RFC_SECRET, counter: 5 },
      { serial: 'PSK-T1', kind: 'totp', secret: totpSecret, digits: 8, period: 60, suite: 'HMAC-SHA256' },
    ];
    const pskFile = join(s.astDir, 'psk.xml');
    const key = '000102030405060708090a0b0c0d0e0f';
    encryptedPskc(pskFile, fobs, { psk: key });
    const keyFile = writeText(s.astDir, 'psk.hex', `${key}\n`);
    expect(pskc2csv(pskFile, { keyFile: key })).toEqual([
      ['PSK-H1', hex(RFC_SECRET), '5', '', '6'],
      ['PSK-T1', hex(totpSecret), '', '60', '8'],
    ]);
    const pbeFile = join(s.astDir, 'pbe.xml');
    encryptedPskc(pbeFile, [{ serial: 'PBE-H1', kind: 'hotp', secret: RFC_SECRET, counter: 0 }], { passphrase: 'correct horse' });
    const passphraseFile = writeText(s.astDir, 'pass', 'correct horse\n');
    expect(pskc2csv(pbeFile, { passphraseFile: join(s.astDir, 'pass') })).toEqual([['PBE-H1', hex(RFC_SECRET), '0', '', '6']]);

    const assign = writeText(s.astDir, 'assign.csv', 'serial,user\nPSK-H1,1001\nPSK-T1,1001\n');
    const r = s.cli(['import', '--pskc', pskFile, '--pskc-key-file', keyFile, '--assign', assign]);
    expect(r.stdout).toBe('Imported 2 tokens, 2 given to users.\n');
    expect(s.cli(['import', '--pskc', pbeFile, '--pskc-passphrase-file', passphraseFile]).status).toBe(0);
    expect(tokens(s, '1001').map((t) => [t.serial, t.kind, t.digits, t.algorithm, t.period, t.counter])).toEqual([
      ['PSK-H1', 'hotp', 6, 'SHA1', null, 5],
      ['PSK-T1', 'totp', 8, 'SHA256', 60, null],
      ['app:1001', 'app', 8, 'SHA1', 30, null],
    ]);
    // The encrypted counter came through: the fob's next code is that of counter 5.
    expect((await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 4)] })).variables.ASTOTP).toBe('FAILURE');
    expect((await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 5)] })).variables.ASTOTP).toBe('SUCCESS');
    // A TOTP fob with 60 s steps, 8 digits and SHA256, its code from oathtool --time-step-size=60s.
    const code = fobTotp(totpSecret, { step: 60, digits: 8, algorithm: 'sha256' });
    expect((await s.call({ inputs: ['1001', '4321', code] })).variables.ASTOTP).toBe('SUCCESS');
    expect(s.cli(['token', 'assign', 'PBE-H1', '1002']).status).toBe(0);
    expect((await s.call({ inputs: ['1002', '4321', hotpCode(RFC_SECRET, 0)] })).variables.ASTOTP).toBe('SUCCESS');
  });

  it('reports a wrong MAC, a wrong key, an algorithm it has not, a key without a secret and a DTD by key package and line, and writes nothing', () => {
    const s = site();
    s.enroll('1001', '4321');
    const key = '000102030405060708090a0b0c0d0e0f';
    const good = join(s.astDir, 'good.xml');
    encryptedPskc(
      good,
      [
        { serial: 'E1', kind: 'hotp', secret: RFC_SECRET },
        { serial: 'E2', kind: 'hotp', secret: RFC_SECRET },
      ],
      { psk: key },
    );
    const keyFile = writeText(s.astDir, 'key.hex', key);
    const text = readFileSync(good, 'utf8');
    // The second key package's secret MAC, one base64 character changed.
    const macs = [...text.matchAll(/<pskc:ValueMAC>([^<]+)</g)];
    const tampered = macs[2]![1]!;
    const flipped = tampered.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    const badMac = writeText(s.astDir, 'bad-mac.xml', text.replace(tampered, flipped));
    const lineOf = (t: string, needle: string, nth = 0) => {
      let at = -1;
      for (let i = 0; i <= nth; i++) at = t.indexOf(needle, at + 1);
      return t.slice(0, at).split('\n').length;
    };
    const r1 = s.cli(['import', '--pskc', badMac, '--pskc-key-file', keyFile]);
    expect(errorLines(r1.stderr)).toEqual([
      `${badMac} key package 2 (line ${lineOf(text, tampered)}): the MAC of the Secret does not match: the file was changed, or the key is wrong`,
      'astotp: 1 error in the input; nothing was imported',
    ]);
    const wrongKey = writeText(s.astDir, 'wrong.hex', 'ff0102030405060708090a0b0c0d0e0f');
    const r2 = s.cli(['import', '--pskc', good, '--pskc-key-file', wrongKey]);
    expect(errOf(r2)).toMatch(
      new RegExp(`^${good} key package 1 \\(line \\d+\\): .*wrong key\n${good} key package 2 \\(line \\d+\\): .*wrong key\n`),
    );
    const noKey = s.cli(['import', '--pskc', good]);
    expect(noKey.stderr).toContain('key package 1');
    expect(noKey.stderr).toContain('give it with --pskc-key-file');

    const plain = plainPskc([
      { serial: 'P1', kind: 'hotp', secret: RFC_SECRET },
      { serial: 'P2', kind: 'hotp', secret: RFC_SECRET },
      { serial: 'P3', kind: 'hotp', secret: RFC_SECRET },
    ]);
    const broken = plain
      .replace(/(<SerialNo>P2<\/SerialNo>[\s\S]*?Algorithm=")[^"]+/, '$1urn:ietf:params:xml:ns:keyprov:pskc:ocra')
      .replace(/(<SerialNo>P3<\/SerialNo>[\s\S]*?)<Secret>[\s\S]*?<\/Secret>/, '$1');
    const file = writeText(s.astDir, 'broken.xml', broken);
    const r3 = s.cli(['import', '--pskc', file]);
    expect(errorLines(r3.stderr)).toEqual([
      `${file} key package 2 (line ${lineOf(broken, '<Key ', 1)}): algorithm urn:ietf:params:xml:ns:keyprov:pskc:ocra is not supported: only HOTP and TOTP (urn:ietf:params:xml:ns:keyprov:pskc:hotp, :totp)`,
      `${file} key package 3 (line ${lineOf(broken, '<Key ', 2)}): the key has no secret (Data/Secret)`,
      'astotp: 2 errors in the input; nothing was imported',
    ]);
    // An external entity would read a file of this machine: no DTD is ever parsed.
    const xxe = writeText(
      s.astDir,
      'xxe.xml',
      plain
        .replace(
          '<?xml version="1.0" encoding="UTF-8"?>\n',
          '<?xml version="1.0"?>\n<!DOCTYPE k [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
        )
        .replace('TokenVendorAcme', '&x;'),
    );
    expect(errorLines(s.cli(['import', '--pskc', xxe]).stderr)).toEqual([
      `${xxe} line 2: a DTD (<!DOCTYPE or <!ENTITY) is not allowed in a PSKC file`,
      'astotp: 1 error in the input; nothing was imported',
    ]);
    // A serial the database has, and an --assign line naming no such serial or user.
    expect(
      s.cli(['import', '--pskc', writeText(s.astDir, 'p1.xml', plainPskc([{ serial: 'P1', kind: 'hotp', secret: RFC_SECRET }]))]).status,
    ).toBe(0);
    const assign = writeText(s.astDir, 'assign.csv', 'P1,1001\nP9,1001\nP2,9999\n');
    const twice = writeText(
      s.astDir,
      'p12.xml',
      plainPskc([
        { serial: 'P1', kind: 'hotp', secret: RFC_SECRET },
        { serial: 'P2', kind: 'hotp', secret: RFC_SECRET },
      ]),
    );
    const r4 = s.cli(['import', '--pskc', twice, '--assign', assign]);
    expect(errorLines(r4.stderr)).toEqual([
      `${assign} line 2: serial P9 is not in the PSKC file`,
      `${twice} key package 1 (line 3): token P1 is in the database already`,
      `${twice} key package 2 (line 23): no user 9999 to give token P2 to (enroll it first)`,
      'astotp: 3 errors in the input; nothing was imported',
    ]);
    expect(tokens(s).map((t) => t.serial)).toEqual(['P1', 'app:1001']);
  });

  it("takes a vendor's file of 1,000 fobs in one transaction, with --assign, one audit row each", () => {
    const s = site({ digits: 8 });
    for (const u of ['1001', '1002', '1003']) s.enroll(u, '4321');
    const fobs: Fob[] = Array.from({ length: 1000 }, (_, i) => ({
      serial: `FT${String(1000133508267 + i)}`,
      kind: i % 2 ? 'totp' : 'hotp',
      secret: Buffer.from(`vendor-secret-${String(i).padStart(6, '0')}`),
      digits: i % 4 < 2 ? 6 : 8,
      period: 60,
      counter: i,
    }));
    const file = writeText(s.astDir, 'vendor.xml', plainPskc(fobs, 'Feitian Technology Co.,Ltd'));
    const assign = writeText(s.astDir, 'assign.csv', 'FT1000133508267,1001\nFT1000133508268,1002\nFT1000133509266,1003\n');
    const r = s.cli(['import', '--pskc', file, '--assign', assign, '--json']);
    expect(errOf(r)).toBe("Imported 1000 tokens, 3 given to users, 997 nobody's yet (astotp token assign SERIAL USER).\n");
    expect(JSON.parse(r.stdout)).toMatchObject({ imported: 1000, assigned: 3 });
    const all = tokens(s);
    expect(all.filter((t) => t.kind !== 'app')).toHaveLength(1000);
    expect(all.find((t) => t.serial === 'FT1000133509266')).toMatchObject({ kind: 'totp', user: '1003', digits: 8, period: 60 });
    expect(all.find((t) => t.serial === 'FT1000133508272')).toMatchObject({ kind: 'totp', user: null, digits: 6 });
    expect(all.find((t) => t.serial === 'FT1000133508269')).toMatchObject({ kind: 'hotp', user: null, digits: 8, counter: 2 });
    const log = s.json<Array<{ reason: string }>>(['log', '--admin', '--limit', '2000']).value;
    expect(log.filter((e) => e.reason === 'token-import')).toHaveLength(1000);
    // The same file again: every serial is taken, and nothing more is written.
    const again = s.cli(['import', '--pskc', file]);
    expect(errOf(again)).toMatch(/\.\.\. and 900 more\nastotp: 1000 errors in the input; nothing was imported\n$/);
  });
});

describe('token secrets sealed for their token and holder', () => {
  it("opens no box moved to another token's row, nor a fob's box whose holder was changed behind astotp's back", async () => {
    const s = site({ tries: 1 });
    s.enroll('1001', '4321');
    s.enroll('1002', '4321', 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA');
    const file = writeText(s.astDir, 'fobs.xml', plainPskc([{ serial: 'H1', kind: 'hotp', secret: RFC_SECRET }]));
    expect(s.cli(['import', '--pskc', file]).status).toBe(0);
    expect(s.cli(['token', 'assign', 'H1', '1001']).status).toBe(0);
    const db = new Database(s.db);
    try {
      // Whoever can write the database copies 1001's app secret onto 1002's app token.
      const box = (serial: string) =>
        (db.prepare('SELECT secret_box FROM tokens WHERE serial = ?').get(serial) as { secret_box: Buffer }).secret_box;
      db.prepare('UPDATE tokens SET secret_box = ? WHERE serial = ?').run(box('app:1001'), 'app:1002');
      // And gives 1001's fob to 1002 without astotp, which would seal it again.
      db.prepare("UPDATE tokens SET user_id = '1002' WHERE serial = 'H1'").run();
    } finally {
      db.close();
    }
    expect((await s.call({ inputs: ['1002', '4321', totp()] })).variables.ASTOTP).toBe('FAILURE');
    expect((await s.call({ inputs: ['1002', '4321', hotpCode(RFC_SECRET, 0)] })).variables.ASTOTP).toBe('FAILURE');
    // The rows left as astotp wrote them still open: 1001's own app token.
    expect((await s.call({ inputs: ['1001', '4321', totp()] })).variables.ASTOTP).toBe('SUCCESS');
  });
});

describe('astotp token', () => {
  it('assigns, lists, disables, enables and unassigns fobs, app:USER for the app token, each an admin audit row', async () => {
    const s = site();
    s.enroll('1001', '4321');
    s.enroll('1002', '4321');
    const file = writeText(
      s.astDir,
      'fobs.xml',
      plainPskc([
        { serial: 'H1', kind: 'hotp', secret: RFC_SECRET },
        { serial: 'H2', kind: 'hotp', secret: RFC_SECRET },
        { serial: 'H8', kind: 'hotp', secret: RFC_SECRET, digits: 8 },
      ]),
    );
    expect(s.cli(['import', '--pskc', file]).status).toBe(0);
    expect(s.cli(['token', 'assign', 'H1', '1001']).stdout).toBe("Token H1 is 1001's.\n");
    const taken = s.cli(['token', 'assign', 'H1', '1002']);
    expect([taken.status, errOf(taken)]).toEqual([1, "astotp: token H1 is 1001's (astotp token unassign H1 first)\n"]);
    expect(errOf(s.cli(['token', 'assign', 'H8', '1002']))).toBe(
      'astotp: token H8 shows 8-digit codes, and calls take up to 6 (digits in astotp.conf); set digits = 8 first\n',
    );
    expect(s.cli(['token', 'assign', 'app:1001', '1002']).status).toBe(2);
    expect(s.cli(['token', 'assign', 'H2', '1001']).status).toBe(0);
    // A user holds 3 tokens at most: the app and two fobs.
    expect(errOf(s.cli(['token', 'assign', 'H8', '1001']))).toMatch(/^astotp: token H8 shows 8-digit codes/);
    s.config({ timeout: 5, digits: 8 });
    expect(errOf(s.cli(['token', 'assign', 'H8', '1001']))).toBe(
      'astotp: user 1001 holds 3 tokens already, the most a user may (astotp token list 1001)\n',
    );
    const listed = s.cli(['token', 'list', '1001']).stdout.split('\n');
    expect(listed[0]).toMatch(/^SERIAL +KIND +USER +CODES +POSITION +LAST USE +ENABLED$/);
    expect(listed.slice(1, 4).map((l) => l.split(/\s{2,}/))).toEqual([
      ['H1', 'HOTP fob', '1001', '6 digits, SHA1', 'counter 0', '-', 'yes'],
      ['H2', 'HOTP fob', '1001', '6 digits, SHA1', 'counter 0', '-', 'yes'],
      ['app:1001', 'app (TOTP)', '1001', '6 digits, SHA1, 30 s', '-', '-', 'yes'],
    ]);

    // The app token off: the fob still opens calls, the app's code no longer does.
    expect(s.cli(['token', 'disable', 'app:1001']).stdout).toBe('Token app:1001 disabled.\n');
    expect((await s.call({ inputs: ['1001', '4321', totp()] })).variables.ASTOTP).toBe('FAILURE');
    expect((await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 0)] })).variables.ASTOTP).toBe('SUCCESS');
    expect(s.cli(['token', 'disable', 'H1']).status).toBe(0);
    expect(s.cli(['token', 'disable', 'H2']).status).toBe(0);
    expect((await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 1)] })).variables.ASTOTP).toBe('FAILURE');
    expect(s.cli(['token', 'enable', 'app:1001']).status).toBe(0);
    expect((await s.call({ inputs: ['1001', '4321', totp()] })).variables.ASTOTP).toBe('SUCCESS');
    expect(s.cli(['token', 'unassign', 'H1']).stdout).toBe("Token H1 is nobody's now (it was 1001's).\n");
    expect(s.cli(['token', 'unassign', 'app:1001']).status).toBe(2);
    expect(errOf(s.cli(['token', 'unassign', 'H1']))).toBe("astotp: token H1 is nobody's\n");
    expect(errOf(s.cli(['token', 'disable', 'NOPE']))).toBe('astotp: no token NOPE\n');
    expect(errOf(s.cli(['token', 'disable', 'app:1003']))).toBe('astotp: user 1003 has no app token\n');
    // Removing a user leaves its fobs, nobody's.
    expect(s.cli(['token', 'assign', 'H1', '1002']).status).toBe(0);
    expect(s.cli(['remove', '1002', '--yes']).status).toBe(0);
    expect(tokens(s).find((t) => t.serial === 'H1')).toMatchObject({ user: null });

    const admin = s.json<Array<{ user: string | null; reason: string; detail: string }>>(['log', '--admin']).value;
    expect(
      admin
        .filter((e) => e.reason.startsWith('token-') && e.reason !== 'token-import')
        .map((e) => [e.user, e.reason, e.detail.split(' by ')[0]]),
    ).toEqual([
      ['1001', 'token-assign', 'token-assign (token H1)'],
      ['1001', 'token-assign', 'token-assign (token H2)'],
      ['1001', 'token-disable', 'token-disable (token app)'],
      ['1001', 'token-disable', 'token-disable (token H1)'],
      ['1001', 'token-disable', 'token-disable (token H2)'],
      ['1001', 'token-enable', 'token-enable (token app)'],
      ['1001', 'token-unassign', 'token-unassign (token H1)'],
      ['1002', 'token-assign', 'token-assign (token H1)'],
    ]);
    expect(admin.find((e) => e.reason === 'remove')?.detail).toMatch(/^remove \(H1 nobody's now\) by /);
  });

  it('resyncs an HOTP fob pressed past hotp_window, and refuses codes that are not consecutive', async () => {
    const s = site();
    s.enroll('1001', '4321');
    expect(
      s.cli(['import', '--pskc', writeText(s.astDir, 'h.xml', plainPskc([{ serial: 'H1', kind: 'hotp', secret: RFC_SECRET }]))]).status,
    ).toBe(0);
    expect(s.cli(['token', 'assign', 'H1', '1001']).status).toBe(0);
    // Pressed 40 times in a pocket: its code is far beyond the look-ahead.
    const far = await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 40)] });
    expect(far.variables.ASTOTP).toBe('FAILURE');
    const last = s.json<Array<{ detail: string }>>(['log', '--user', '1001']).value.at(-1)!;
    expect(last.detail).toBe('code 41 presses ahead, beyond hotp_window 5 (astotp token resync) on token H1');
    const gap = s.cli(['token', 'resync', 'H1', hotpCode(RFC_SECRET, 41), hotpCode(RFC_SECRET, 43)]);
    expect([gap.status, errOf(gap)]).toEqual([
      1,
      'astotp: the codes are not two consecutive codes of token H1 within the resync window; nothing was changed\n',
    ]);
    expect(s.cli(['token', 'resync', 'H1', hotpCode(RFC_SECRET, 41), hotpCode(RFC_SECRET, 42)]).stdout).toBe(
      'Token H1 resynchronised: its counter is 43.\n',
    );
    // Both codes are used up; the next one opens a call.
    expect((await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 42)] })).variables.ASTOTP).toBe('FAILURE');
    expect((await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 43)] })).variables.ASTOTP).toBe('SUCCESS');
    expect(s.json<Array<{ reason: string; detail: string }>>(['log', '--admin']).value.at(-1)!.detail).toMatch(
      /^token-resync \(token H1, counter 43\) by /,
    );
  });

  it('enrolls a user with a fob instead of an app: no secret, no QR code', async () => {
    const s = site();
    expect(
      s.cli(['import', '--pskc', writeText(s.astDir, 'h.xml', plainPskc([{ serial: 'H1', kind: 'hotp', secret: RFC_SECRET }]))]).status,
    ).toBe(0);
    const r = s.cli(['enroll', '1001', '--token', 'H1'], '4321\n');
    expect(r.stdout).toMatch(/^Enrolled user 1001 with token H1\.\n/);
    expect(r.stdout).not.toMatch(/otpauth:/);
    expect(errOf(s.cli(['enroll', '1002', '--token', 'H1', '--secret', SECRET], '4321\n'))).toMatch(/--token excludes --secret/);
    expect(tokens(s, '1001').map((t) => t.serial)).toEqual(['H1']);
    expect((await s.call({ inputs: ['1001', '4321', hotpCode(RFC_SECRET, 0)] })).variables.ASTOTP).toBe('SUCCESS');
    // reset gives the fob's user an app beside it.
    expect(s.cli(['reset', '1001', '--secret', SECRET, '--no-confirm', '--qr', 'none']).status).toBe(0);
    expect(tokens(s, '1001').map((t) => t.serial)).toEqual(['H1', 'app:1001']);
  });
});

describe('a call', () => {
  it("takes a fob's code and the app's code for the same user, each once, and names the token in the audit log", async () => {
    const s = site();
    s.enroll('1001', '4321');
    expect(
      s.cli(['import', '--pskc', writeText(s.astDir, 'h.xml', plainPskc([{ serial: 'FOB-7', kind: 'hotp', secret: RFC_SECRET }]))]).status,
    ).toBe(0);
    expect(s.cli(['token', 'assign', 'FOB-7', '1001']).status).toBe(0);
    const fob = hotpCode(RFC_SECRET, 0);
    const app = totp();
    const calls = [];
    for (const code of [fob, app, fob, app]) calls.push(await s.call({ inputs: ['1001', '4321', code] }));
    expect(calls.map((c) => c.variables.ASTOTP)).toEqual(['SUCCESS', 'SUCCESS', 'FAILURE', 'FAILURE']);
    // The same prompts whichever token the code was for, right or wrong.
    expect(calls[0]!.prompts).toEqual(calls[1]!.prompts);
    expect(calls[2]!.prompts).toEqual(calls[3]!.prompts);
    const log = s
      .json<Array<{ result: string; detail: string }>>(['log', '--user', '1001'])
      .value.filter((e) => !e.detail.includes(' by '));
    expect(log.map((e) => [e.result, e.detail])).toEqual([
      ['SUCCESS', 'PIN and code ok (token FOB-7)'],
      ['SUCCESS', 'PIN and code ok (token app)'],
      ['FAILURE', 'replayed code (token FOB-7)'],
      ['FAILURE', 'replayed code (token app)'],
    ]);
  });

  it('gives exactly one SUCCESS to 50 simultaneous calls with one HOTP code', async () => {
    const s = site({ lockout_failures: 1000 });
    s.enroll('1001', '4321');
    expect(
      s.cli(['import', '--pskc', writeText(s.astDir, 'h.xml', plainPskc([{ serial: 'H1', kind: 'hotp', secret: RFC_SECRET }]))]).status,
    ).toBe(0);
    expect(s.cli(['token', 'assign', 'H1', '1001']).status).toBe(0);
    const inputs = ['1001', '4321', hotpCode(RFC_SECRET, 2)];
    const results = await Promise.all(Array.from({ length: 50 }, () => s.call({ inputs, timeoutMs: 60_000 })));
    const outcomes = results.map((r) => r.variables.ASTOTP);
    expect(outcomes.filter((o) => o === 'SUCCESS')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'FAILURE')).toHaveLength(49);
    expect(tokens(s, '1001').find((t) => t.serial === 'H1')).toMatchObject({ counter: 3 });
  });
});
