// astotp enroll and reset through the built bundle, checked against codes
// from oathtool: what is printed, what is saved, and which files appear.
import { chmodSync, chownSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { PtySession } from './helpers/pty.js';
import { SECRET, totp, wrongCode } from './helpers/site.js';
import { decodeScreen, screenOf, zbarDecode } from './helpers/terminal-image.js';
import { tempDir } from './helpers/temp.js';

const OTHER_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('astotp enroll', () => {
  it('prints the URI, saves the user once a current code confirms it, and burns that code', () => {
    const site = new CliSite();
    const code = totp();
    const r = site.cli(['enroll', '1001', '--secret', SECRET, '--issuer', 'Test PBX'], `4321\n${code}\n`);
    expect(r.stderr).not.toMatch(/Error|at .*\.ts/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`otpauth://totp/Test%20PBX:1001?secret=${SECRET}&issuer=Test%20PBX`);
    expect(r.stdout).toContain('\x1b[30;107m▀'); // the QR code, ansi by default
    expect(r.stdout).toContain('Enrolled user 1001.');
    // The confirming code is used up: the next one in the window still works.
    expect(site.cli(['verify', '1001', code]).stdout).toBe('FAILURE (bad-credentials)\n');
    const next = site.cli(['verify', '1001', totp(SECRET, { offset: 30 })]);
    expect(next.stdout).toBe('SUCCESS\n');
    expect(next.status).toBe(0);
  });

  it('saves nothing when the confirming code is wrong', () => {
    const site = new CliSite();
    const r = site.cli(['enroll', '1001', '--secret', SECRET, '--qr', 'none'], `4321\n${wrongCode()}\n`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^astotp: the code does not match.*nothing was saved$/m);
    expect(site.json(['list']).value).toEqual([]);
  });

  it('saves nothing when no confirming code comes', () => {
    const site = new CliSite();
    const r = site.cli(['enroll', '1001', '--secret', SECRET, '--qr', 'none'], '4321\n');
    expect(r.status).toBe(1);
    expect(site.json(['list']).value).toEqual([]);
  });

  it('agrees with oathtool on SHA256 and SHA512 with 8 digits', () => {
    const site = new CliSite();
    site.config({ digits: 8 });
    for (const [user, algorithm] of [
      ['2001', 'sha256'],
      ['2002', 'sha512'],
    ] as const) {
      const r = site.cli([
        'enroll',
        user,
        '--secret',
        SECRET,
        '--algorithm',
        algorithm,
        '--digits',
        '8',
        '--no-confirm',
        '--no-pin',
        '--qr',
        'none',
      ]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`algorithm=${algorithm.toUpperCase()}&digits=8`);
      const v = site.cli(['verify', user, totp(SECRET, { algorithm, digits: 8 })]);
      expect(v.stdout).toBe('SUCCESS\n');
    }
  });

  it('refuses more digits than a call asks for, pointing to digits in astotp.conf, and writes nothing', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    const r = site.cli(['enroll', '2001', '--digits', '8', '--no-confirm', '--no-pin', '--qr', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "astotp: --digits 8 is more than the 6 digits a call asks for; set digits = 8 in astotp.conf first, so the call's code prompt takes 8 (nothing was saved)\n",
    );
    expect(r.stdout).toBe('');
    expect(site.permissions()).toEqual({});
    site.enroll('1001', '4321');
    const reset = site.cli(['reset', '1001', '--digits', '8', '--secret', OTHER_SECRET, '--no-confirm', '--qr', 'none']);
    expect(reset.status).toBe(1);
    expect(reset.stderr).toMatch(/set digits = 8 in astotp.conf first/);
    expect(site.cli(['verify', '1001', totp(SECRET)]).stdout).toBe('SUCCESS\n');
  });

  it('notes that a code shorter than the call asks for ends with #', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.config({ digits: 8 });
    const r = site.cli(['enroll', '1001', '--digits', '6', '--no-confirm', '--no-pin', '--qr', 'none']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      '1001 gets 6-digit codes; calls take up to 8 digits (digits in astotp.conf), so the caller ends the code with #',
    );
  });

  it('prints one JSON object with --json', () => {
    const site = new CliSite();
    const { result, value } = site.json<Record<string, unknown>>(['enroll', '1001', '--no-confirm', '--period', '60'], '4321\n');
    expect(result.status).toBe(0);
    expect(value).toMatchObject({ user: '1001', issuer: 'Asterisk', digits: 6, algorithm: 'SHA1', period: 60 });
    expect(value.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(value.uri as string);
    expect(`${uri.protocol}//${uri.host}${uri.pathname}`).toBe('otpauth://totp/Asterisk:1001');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: value.secret, issuer: 'Asterisk', period: '60' });
  });

  it('never prints the PIN', () => {
    const site = new CliSite();
    const r = site.cli(['enroll', '1001', '--secret', SECRET, '--qr', 'ascii'], `4321\n${totp()}\n`);
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('4321');
  });

  it('refuses an existing user, pointing to reset; --force replaces it', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const again = site.cli(['enroll', '1001', '--secret', OTHER_SECRET, '--no-confirm', '--qr', 'none'], '1111\n');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists; astotp reset 1001/);
    const forced = site.cli(['enroll', '1001', '--secret', OTHER_SECRET, '--no-confirm', '--qr', 'none', '--force'], '1111\n');
    expect(forced.status).toBe(0);
    expect(site.cli(['verify', '1001', totp(SECRET)]).stdout).toBe('FAILURE (bad-credentials)\n');
    expect(site.cli(['verify', '1001', totp(OTHER_SECRET)]).stdout).toBe('SUCCESS\n');
  });

  it('rejects a PIN that is not 4 to 12 digits, and a missing one', () => {
    const site = new CliSite();
    for (const pin of ['12', '12345678901234', 'abcd', '']) {
      const r = site.cli(['enroll', '1001', '--no-confirm', '--qr', 'none'], pin ? `${pin}\n` : '');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^astotp: (a PIN must be 4 to 12 digits|no PIN on standard input.*)$/m);
    }
    expect(site.json(['list']).value).toEqual([]);
  });

  it('refuses new IDs no caller can type, unless --allow-untypable; such users stay manageable', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    const enroll = (id: string, ...extra: string[]) => site.cli(['enroll', id, '--no-confirm', '--no-pin', '--qr', 'none', ...extra]);
    const long = enroll('12345678901');
    expect(long.status).toBe(1);
    expect(long.stderr).toMatch(
      /^astotp: user ID 12345678901 has 11 digits, more than a call takes \(id_max_digits = 10 in astotp.conf\), so no caller can type it; nothing was saved .*--allow-untypable/m,
    );
    const letters = enroll('alice@example');
    expect(letters.status).toBe(1);
    expect(letters.stderr).toMatch(
      /^astotp: user ID alice@example is not all digits, so no caller can type it on a keypad; nothing was saved/m,
    );
    expect(existsSync(site.db)).toBe(false);

    const allowed = enroll('alice@example', '--allow-untypable');
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain('only a profile of astotp.conf that names it (user = alice@example)');
    for (const args of [
      ['show', 'alice@example'],
      ['reset', 'alice@example', '--no-confirm', '--qr', 'none'],
      ['disable', 'alice@example'],
      ['enable', 'alice@example'],
      ['unlock', 'alice@example'],
      ['remove', 'alice@example', '--yes'],
    ]) {
      const r = site.cli(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(site.json(['list']).value).toEqual([]);
  });

  it('takes an ID as long as a profile lets the caller type, or a caller ID can be', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.config({}, { long: { id_max_digits: 12 } });
    expect(site.cli(['enroll', '123456789012', '--no-confirm', '--no-pin', '--qr', 'none']).status).toBe(0);
    site.config({}, { door: { user: 'callerid' } });
    expect(site.cli(['enroll', '491511234567890', '--no-confirm', '--no-pin', '--qr', 'none']).status).toBe(0);
    expect(site.cli(['enroll', '4915112345678901', '--no-confirm', '--no-pin', '--qr', 'none']).stderr).toMatch(
      /16 digits, more than a call takes \(id_max_digits = 10 in astotp.conf, 15 for a caller ID\)/,
    );
  });

  it('creates a key file of mode 0600 and a database nobody else can read', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const permissions = site.permissions();
    expect(permissions['astotp.key']).toBe(0o600);
    expect(Object.keys(permissions)).toContain('astotp.sqlite3');
    for (const [file, bits] of Object.entries(permissions)) if (file.startsWith('astotp.sqlite3')) expect(bits & 0o077).toBe(0);
  });

  it('refuses to make a new key for a database whose key file is missing, and writes nothing', () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.enroll('1001', '4321');
    const key = readFileSync(site.keyFile);
    const db = readFileSync(site.db);
    unlinkSync(site.keyFile);
    for (const args of [['enroll', '1002', '--no-confirm', '--qr', 'none'], ['init']]) {
      const r = site.cli(args, '5678\n');
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `astotp: key file ${site.keyFile} does not exist, but database ${site.db} was made with one; restore ${site.keyFile} from a backup`,
      );
      expect(existsSync(site.keyFile)).toBe(false);
      expect(readFileSync(site.db).equals(db)).toBe(true);
    }
    writeFileSync(site.keyFile, key, { mode: 0o600 });
    expect(site.json<Array<{ id: string }>>(['list']).value.map((u) => u.id)).toEqual(['1001']);
    expect(site.cli(['verify', '1001', totp()]).stdout).toBe('SUCCESS\n');
  });

  it.runIf(process.geteuid?.() === 0)('as root, creates the files as the owner of the database directory', () => {
    const site = new CliSite();
    for (let d = site.varDir; d !== dirname(site.astDir); d = dirname(d)) chmodSync(d, 0o755);
    chownSync(site.varDir, 65534, 65534);
    site.enroll('1001', '4321');
    for (const f of ['astotp.sqlite3', 'astotp.key']) expect(statSync(join(site.varDir, f)).uid).toBe(65534);
    expect(site.cli(['verify', '1001', totp()]).stdout).toBe('SUCCESS\n');
  });
});

describe('astotp reset', () => {
  it('keeps the old secret until a code from the new one confirms the change', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const bad = site.cli(['reset', '1001', '--secret', OTHER_SECRET, '--qr', 'none'], `${wrongCode(OTHER_SECRET)}\n`);
    expect(bad.status).toBe(1);
    expect(site.cli(['verify', '1001', totp(SECRET)]).stdout).toBe('SUCCESS\n');

    const code = totp(OTHER_SECRET);
    const good = site.cli(['reset', '1001', '--secret', OTHER_SECRET, '--qr', 'none'], `${code}\n`);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain(`secret=${OTHER_SECRET}`);
    expect(site.cli(['verify', '1001', totp(SECRET, { offset: 30 })]).stdout).toBe('FAILURE (bad-credentials)\n');
    expect(site.cli(['verify', '1001', code]).stdout).toBe('FAILURE (bad-credentials)\n');
    expect(site.cli(['verify', '1001', totp(OTHER_SECRET, { offset: 30 })]).stdout).toBe('SUCCESS\n');
  });

  it('fails for an unknown user', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const r = site.cli(['reset', '1002', '--no-confirm', '--qr', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^astotp: no user 1002 in /m);
  });
});

// Issue 19 item 5: --secret puts the secret in the process list; --secret-file keeps it out.
describe('a secret from a file (--secret-file)', () => {
  /** A new file of mode 0600 in the site holding text. */
  const secretFile = (site: CliSite, name: string, text: string) => {
    const path = join(site.astDir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  /** SECRET as a site shows it: lower case, in groups, with a line end. */
  const shown = (secret: string) => `${secret.toLowerCase().replace(/(.{4})/g, '$1 ')}\n`;

  it('enrolls with the secret in FILE, and reset takes a new one the same way', () => {
    const site = new CliSite();
    const file = secretFile(site, '1001.secret', shown(SECRET));
    const r = site.cli(['enroll', '1001', '--secret-file', file, '--qr', 'none'], `4321\n${totp()}\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`secret=${SECRET}`);
    expect(site.cli(['verify', '1001', totp(SECRET, { offset: 30 })]).stdout).toBe('SUCCESS\n');

    const other = secretFile(site, 'new.secret', `${OTHER_SECRET}\n`);
    const reset = site.cli(['reset', '1001', '--secret-file', other, '--qr', 'none'], `${totp(OTHER_SECRET)}\n`);
    expect(reset.status, reset.stderr).toBe(0);
    expect(site.cli(['verify', '1001', totp(OTHER_SECRET, { offset: 30 })]).stdout).toBe('SUCCESS\n');
  });

  it('refuses a missing file, one that holds no secret or two, and --secret beside it, saving nothing and repeating nothing', () => {
    const site = new CliSite();
    const missing = join(site.astDir, 'nosuch.secret');
    const enroll = (...args: string[]) => site.cli(['enroll', '1001', '--no-confirm', '--qr', 'none', ...args], '4321\n');
    const gone = enroll('--secret-file', missing);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toBe(`astotp: cannot read ${missing}: no such file or directory\n`);
    for (const text of ['not a secret 0189\n', `${SECRET}\n${OTHER_SECRET}\n`, '']) {
      const file = secretFile(site, 'bad.secret', text);
      const r = enroll('--secret-file', file);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `astotp: ${file} must hold one secret on one line, base32 (letters A-Z and digits 2-7), 26 to 128 characters (at least 16 bytes); nothing was saved\n`,
      );
    }
    const both = enroll('--secret-file', secretFile(site, 'good.secret', SECRET), '--secret', SECRET);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/^astotp: --secret and --secret-file exclude each other$/m);
    // Refused before the database is opened: not even it was created.
    expect(existsSync(site.db)).toBe(false);
  });
});

// A secret under 16 bytes was saved, and then every call of the user ended in otplib's "Secret must be at least 16 bytes".
describe('a secret under 16 bytes', () => {
  const SHORT = OTHER_SECRET.slice(0, 25); // 125 bits: 15 bytes
  const rule = 'base32 (letters A-Z and digits 2-7), 26 to 128 characters (at least 16 bytes)';

  it('is refused by enroll, reset and import, from a file or the command line; 26 characters are taken and log in', () => {
    const site = new CliSite();
    const file = join(site.astDir, 'short.secret');
    writeFileSync(file, `${SHORT}\n`, { mode: 0o600 });
    const enrolled = site.cli(['enroll', '1001', '--secret-file', file, '--no-confirm', '--qr', 'none'], '4321\n');
    expect(enrolled.status).toBe(1);
    expect(enrolled.stderr).toBe(`astotp: ${file} must hold one secret on one line, ${rule}; nothing was saved\n`);
    const inline = site.cli(['enroll', '1001', '--secret', SHORT, '--no-confirm', '--qr', 'none'], '4321\n');
    expect(inline.status).toBe(2);
    expect(inline.stderr).toMatch(new RegExp(`^astotp: --secret must be ${rule.replace(/[()]/g, '\\$&')}$`, 'm'));
    const csv = join(site.astDir, 'users.csv');
    writeFileSync(csv, `user,pin,secret\n1001,4321,${SHORT}\n`);
    const imported = site.cli(['import', csv]);
    expect(imported.status).toBe(1);
    expect(imported.stderr).toContain(`${csv} line 2: the secret must be ${rule}`);
    expect(site.cli(['list']).stdout).not.toMatch(/^1001 /m);

    const least = OTHER_SECRET.slice(0, 26);
    site.enroll('1001', '4321', least);
    expect(site.cli(['verify', '1001', totp(least)]).stdout).toBe('SUCCESS\n');
    const reset = site.cli(['reset', '1001', '--secret', SHORT, '--no-confirm', '--qr', 'none']);
    expect(reset.status).toBe(2);
    expect(reset.stderr).toMatch(/--secret must be base32/);
  });
});

const URI_1002 = `otpauth://totp/Asterisk:1002?secret=${SECRET}&issuer=Asterisk`;
const PROMPT = 'Code shown by the app for 1002: ';
/** A code as an authenticator app shows it, in two groups. */
const grouped = (code: string, sep = ' ') => `${code.slice(0, 3)}${sep}${code.slice(3)}`;

describe('the enrolment dialogue on a terminal', () => {
  it('asks again after a PIN mismatch, an empty line and a wrong code, and takes the code as the app shows it', async () => {
    const site = new CliSite();
    const t = new PtySession([process.execPath, BUNDLE_PATH, 'enroll', '1002', '--secret', SECRET, '--qr', 'none'], site.env);
    await t.waitFor('New PIN (4 to 12 digits): ');
    t.typeLine('4321');
    await t.waitFor('Repeat the PIN: ');
    t.typeLine('4322');
    await t.waitFor('The two PINs differ.');
    await t.waitFor('New PIN (4 to 12 digits): ');
    t.typeLine('4321');
    await t.waitFor('Repeat the PIN: ');
    t.typeLine('4321');
    await t.waitFor(PROMPT);
    t.typeLine('');
    await t.waitFor('No code was typed; 2 tries left');
    await t.waitFor(PROMPT);
    t.typeLine(grouped(wrongCode()));
    await t.waitFor('That is not the 6-digit code the app shows now; 1 try left');
    await t.waitFor(PROMPT);
    t.typeLine(grouped(totp()));
    await t.waitFor('Enrolled user 1002.');
    expect(await t.exit()).toBe(0);
    expect(t.output).not.toMatch(/432[12]/);
    expect(site.cli(['verify', '1002', grouped(totp(SECRET, { offset: 30 }), '-')]).stdout).toBe('SUCCESS\n');
  });

  it('on 80x24 shows the URI and the secret first, then a QR code that decodes on dark and light themes, with the prompt below it', async () => {
    const site = new CliSite();
    const t = new PtySession([process.execPath, BUNDLE_PATH, 'enroll', '1002', '--secret', SECRET, '--no-pin'], site.env, {
      rows: 24,
      cols: 80,
    });
    await t.waitFor(PROMPT);
    expect(t.output.indexOf(URI_1002)).toBeLessThan(t.output.indexOf('▀'));
    const screen = screenOf(t.output, 80, 24);
    expect(screen.text.at(-1)).toBe(PROMPT.trimEnd());
    expect(decodeScreen(screen, 'dark')).toEqual([URI_1002]);
    expect(decodeScreen(screen, 'light')).toEqual([URI_1002]);
    t.typeLine(totp());
    await t.waitFor('Enrolled user 1002 without a PIN');
    expect(await t.exit()).toBe(0);
  });
});

describe('QR codes', () => {
  it('ansi, the default, decodes on dark and light themes; utf8, without colours, only on dark ones', () => {
    const decoded: Record<string, string[]> = {};
    for (const style of ['default', 'ansi', 'utf8']) {
      const site = new CliSite();
      onTestFinished(() => site.remove());
      const r = site.cli([
        'enroll',
        '1002',
        '--secret',
        SECRET,
        '--no-pin',
        '--no-confirm',
        ...(style === 'default' ? [] : ['--qr', style]),
      ]);
      expect(r.status).toBe(0);
      // Through a pty, LF arrives as CR LF; the screen is as wide as a terminal's, as tall as the output.
      const screen = screenOf(r.stdout.replace(/\n/g, '\r\n'), 80, Infinity);
      for (const theme of ['dark', 'light'] as const) if (decodeScreen(screen, theme)[0] === URI_1002) (decoded[style] ??= []).push(theme);
    }
    expect(decoded).toEqual({ default: ['dark', 'light'], ansi: ['dark', 'light'], utf8: ['dark'] });
  });

  it('--qr png:FILE and svg:FILE write a new file of mode 0600 that decodes, and never overwrite one', () => {
    const dir = tempDir('astotp-qr-');
    for (const format of ['png', 'svg']) {
      const site = new CliSite();
      onTestFinished(() => site.remove());
      const file = join(dir, `1002.${format}`);
      const r = site.cli(['enroll', '1002', '--secret', SECRET, '--no-pin', '--no-confirm', '--qr', `${format}:${file}`]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(URI_1002);
      expect(r.stdout).not.toMatch(/[▀█#]{2}/);
      expect(r.stderr).toContain(`Wrote the QR code to ${file} (mode 0600)`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(zbarDecode(file)).toEqual([URI_1002]);

      const before = readFileSync(file);
      const again = site.cli(['reset', '1002', '--secret', OTHER_SECRET, '--no-confirm', '--qr', `${format}:${file}`]);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(new RegExp(`^astotp: cannot create ${file}: it exists already; nothing was saved$`, 'm'));
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(site.cli(['verify', '1002', totp(SECRET)]).stdout).toBe('SUCCESS\n');
    }
  });
});

describe('codes typed as the app shows them', () => {
  it('reset takes the confirming code with a dash, verify with a space', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const code = totp(OTHER_SECRET);
    const r = site.cli(['reset', '1001', '--secret', OTHER_SECRET, '--qr', 'none'], `${grouped(code, '-')}\n`);
    expect(r.status).toBe(0);
    expect(site.cli(['verify', '1001', grouped(totp(OTHER_SECRET, { offset: 30 }))]).stdout).toBe('SUCCESS\n');
  });

  it('gives up after three wrong codes from a pipe and saves nothing, without repeating them', () => {
    const site = new CliSite();
    const wrong = [wrongCode(), '12345', '1234567'];
    const r = site.cli(['enroll', '1001', '--secret', SECRET, '--qr', 'none'], `4321\n${wrong.join('\n')}\n${totp()}\n`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^astotp: the code does not match.*nothing was saved$/m);
    for (const c of wrong) expect(r.stderr).not.toContain(c);
    expect(site.json(['list']).value).toEqual([]);
  });
});
