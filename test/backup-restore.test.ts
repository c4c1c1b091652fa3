// astotp backup and restore through the built bundle: a site comes back
// whole on another machine (SQLite or PostgreSQL), its users log in by phone
// with their PIN, app, fob and recovery codes, and nothing used before the
// backup or since opens a call again; a wrong passphrase, a damaged file, a
// database in use, another key or a kill midway write nothing.
import Database from 'better-sqlite3';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { openBackup, sealBackup } from '../src/auth/backup-file.js';
import { BACKUP_TABLES } from '../src/auth/site-backup.js';
import { readmeBlock } from '../scripts/readme-blocks.mjs';
import { BUNDLE_PATH, REPO_ROOT } from './helpers/asterisk-peer.js';
import { freshDatabase, PgSite, queryDatabase } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { plainPskc, writeText } from './helpers/pskc-files.js';
import { PtySession } from './helpers/pty.js';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { AgiServer } from './helpers/serve-agi.js';
import { loginOverHttp, WebClient, WebServer } from './helpers/web-server.js';
import { recoveryEntry, type Site, Site as PlainSite, totp, totpAt, wrongCode } from './helpers/site.js';

// Whole bundles, scrypt at 128 MiB per run and calls on two shared cores.
vi.setConfig({ testTimeout: 120_000 });

const PASSPHRASE = 'correct horse battery staple';
const RFC_SECRET = Buffer.from('12345678901234567890');
const hotpCode = (counter: number) =>
  execFileSync('oathtool', ['--hotp', '-c', String(counter), RFC_SECRET.toString('hex')], { encoding: 'utf8' }).trim();

/** A file of the site holding `text` as its first line, mode 0600 as a passphrase file must be. */
function secretFile(site: Site, name: string, text: string): string {
  const path = join(site.astDir, name);
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** 1001 with PIN 4321, the app of SECRET, fob H1 (HOTP, RFC 4226's secret) and five recovery codes, returned. */
function populate(site: Site): string[] {
  site.enroll('1001', '4321');
  const fobs = writeText(site.astDir, 'fobs.xml', plainPskc([{ serial: 'H1', kind: 'hotp', secret: RFC_SECRET }]));
  const assign = writeText(site.astDir, 'assign.csv', 'H1,1001\n');
  const imported = site.cli(['import', '--pskc', fobs, '--assign', assign]);
  if (imported.status !== 0) throw new Error(`import --pskc failed: ${imported.stderr}`);
  const r = site.cli(['recovery', '1001', '--json']);
  if (r.status !== 0) throw new Error(`recovery failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { recovery_codes: string[] }).recovery_codes;
}

const login = async (site: Site, code: string[]) => (await site.call({ inputs: ['1001', '4321', ...code] })).variables.ASTOTP;

/** What a backup holds, opened as restore opens it: JSON values, secrets as base64. */
async function contentOf(file: string, passphrase = PASSPHRASE): Promise<Record<string, unknown> & { tables: Tables }> {
  const c = JSON.parse(gunzipSync(await openBackup(readFileSync(file), passphrase, file)).toString('utf8')) as Record<string, unknown>;
  const { users, tokens, recovery_codes, throttle, invitations, audit, ...rest } = c;
  return { ...rest, tables: { users, tokens, recovery_codes, throttle, invitations, audit } as Tables };
}

type Row = Record<string, unknown>;
interface Tables {
  users: Row[];
  tokens: Row[];
  recovery_codes: Row[];
  throttle: Row[];
  invitations: Row[];
  audit: Row[] | null;
}

function backup(site: Site, out: string, extra: string[] = []) {
  const r = site.cli(['backup', '--out', out, '--passphrase-file', secretFile(site, 'pass', PASSPHRASE), ...extra]);
  if (r.status !== 0) throw new Error(`backup failed (${r.status}): ${r.stderr}`);
  return r;
}

function restore(site: Site, file: string, extra: string[] = [], passphrase = PASSPHRASE) {
  return site.cli(['restore', file, '--passphrase-file', secretFile(site, 'pass', passphrase), ...extra]);
}

/** A populated site's backup (its path and bytes), and a new site b to restore it on, with variants of it written there. */
function backupAndNewSite() {
  const a = new PlainSite();
  populate(a);
  const file = join(a.astDir, 'site.bak');
  backup(a, file);
  const b = new PlainSite();
  const variant = (name: string, data: Buffer) => {
    const path = join(b.astDir, name);
    writeFileSync(path, data);
    return path;
  };
  return { file, bytes: readFileSync(file), b, variant };
}

/** Restores `file` on `site` and kills the restore with SIGKILL once its transaction has written megabytes it has not committed. */
async function killedMidway(site: Site, file: string, extra: string[] = []): Promise<NodeJS.Signals | null> {
  const pass = secretFile(site, 'pass', PASSPHRASE);
  const child = spawn(process.execPath, [BUNDLE_PATH, 'restore', file, '--passphrase-file', pass, ...extra], {
    env: site.env,
    stdio: 'ignore',
  });
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const wal = `${site.db}-wal`;
  while (!(existsSync(wal) && statSync(wal).size > 4 * 1024 * 1024) && child.exitCode === null) await new Promise((r) => setTimeout(r, 2));
  child.kill('SIGKILL');
  return ended;
}

/** Users, tokens, recovery codes and audit rows the site's database holds. */
function rowCounts(site: Site): number[] {
  const db = new Database(site.db, { readonly: true });
  try {
    return ['users', 'tokens', 'recovery_codes', 'audit'].map(
      (t) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
    );
  } finally {
    db.close();
  }
}

describe('astotp backup and restore (SQLite)', () => {
  it('brings a site back on a new machine: PIN, app, fob and recovery codes log in by phone; codes used before or since stay dead', async () => {
    const a = new PlainSite();
    a.config({ tries: 1, lockout_failures: 1000 });
    const codes = populate(a);
    expect(await login(a, [totp()])).toBe('SUCCESS');
    expect(await login(a, [hotpCode(0)])).toBe('SUCCESS');
    expect(await login(a, recoveryEntry(codes[0]!))).toBe('SUCCESS');
    const file = join(a.astDir, 'site.astotp-backup');
    const made = backup(a, file);
    expect(made.stdout).toMatch(/^ {2}users: 1\n {2}tokens: 2\n {2}recovery_codes: 5\n/m);
    expect(made.stdout).toMatch(/audit: not included/);
    expect(made.stderr).toMatch(/holds the key file and every secret/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).toString('latin1')).not.toContain('1001');

    // The new machine: no database, no key file. Restored with window 0, so that the next step's code is the first one taken.
    const b = new PlainSite();
    b.config({ tries: 1, lockout_failures: 1000, window: 0 });
    const before = Math.floor(Date.now() / 1000);
    const r = restore(b, file);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^Restored .* \(made .* UTC on .*\) into .*astotp\.sqlite3:\n {2}users: 1\n {2}tokens: 2\n {2}recovery_codes: 5\n/,
    );
    expect(r.stdout).toMatch(/Key file .*astotp\.key: created\./);
    expect(r.stdout).toMatch(/Moved forward: 1 HOTP counter by hotp_window 5, 1 TOTP replay mark to 0 steps after now\./);
    expect(r.stderr).toMatch(/PINs and recovery codes are those of the backup's time/);
    expect(r.stderr).toMatch(
      /^astotp: warning: 1 HOTP fob came back: a fob pressed more than hotp_window \(5\) times since the backup \(made .* UTC on .*\) may have codes that open again until its next login; have fob users log in now$/m,
    );
    const help = b.cli(['restore', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('A fob pressed more than hotp_window times since the backup may have codes that open again');
    expect(help).toContain('for up to (window + 1) x period seconds');
    expect(readFileSync(b.keyFile)).toEqual(readFileSync(a.keyFile));
    expect(statSync(b.keyFile).mode & 0o777).toBe(0o600);
    b.config({ tries: 1, lockout_failures: 1000 });

    // The app: a code of the step the restore ran in is dead, the next step's opens.
    expect(await login(b, [totpAt(before)])).toBe('FAILURE');
    expect(await login(b, [totp(undefined, { offset: 30 })])).toBe('SUCCESS');
    // The fob: its used code, and the codes hotp_window ahead a sniffer may have seen since, are dead; the next opens.
    expect(await login(b, [hotpCode(0)])).toBe('FAILURE');
    expect(await login(b, [hotpCode(1)])).toBe('FAILURE');
    expect(await login(b, [hotpCode(6)])).toBe('SUCCESS');
    // Recovery codes: the used one stays used, an unused one opens.
    expect(await login(b, recoveryEntry(codes[0]!))).toBe('FAILURE');
    expect(await login(b, recoveryEntry(codes[1]!))).toBe('SUCCESS');
    // The PIN is checked: a right code with a wrong PIN opens nothing.
    expect((await b.call({ inputs: ['1001', '1234', hotpCode(7)] })).variables.ASTOTP).toBe('FAILURE');

    const log = b.cli(['log', '--admin']);
    expect(log.stdout).toMatch(/restore \(from .*site\.astotp-backup, made on .* at .* UTC\) by /);
  });

  it("brings a pbotp authority back: its mark, its approvers' rights and their API tokens, revoked ones too", () => {
    const a = new PlainSite();
    expect(a.cli(['init', '--authority']).status).toBe(0);
    a.enroll('2001', '4321');
    a.enroll('2002', '4321');
    expect(a.cli(['role', '2001', 'approver', '--groups', 'pbx,ssh', '--hosts', 'pbx*']).status).toBe(0);
    expect(a.cli(['role', '2002', 'approver', '--groups', 'ssh']).status).toBe(0);
    const kept = a.cli(['api-token', 'create', '2001', '--label', 'helpdesk']);
    expect(kept.status, kept.stderr).toBe(0);
    expect(a.cli(['api-token', 'create', '2002']).status).toBe(0);
    const listed = a.cli(['api-token', 'list']).stdout;
    const revoked = /^\s*(\d+)\s+2002\b/m.exec(listed)?.[1];
    expect(revoked).toBeDefined();
    expect(a.cli(['api-token', 'revoke', revoked!]).status).toBe(0);
    const file = join(a.astDir, 'authority.bak');
    backup(a, file);

    const b = new PlainSite();
    const r = restore(b, file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ {2}roles: 2\n {2}api_tokens: 2\n/);
    expect(b.cli(['roles']).stdout).toBe(a.cli(['roles']).stdout);
    expect(b.cli(['api-token', 'list']).stdout).toBe(a.cli(['api-token', 'list']).stdout);
    // Still an authority's database: roles may be given there.
    expect(b.cli(['role', '2002', 'approver', '--groups', 'pbx']).status).toBe(0);
  });

  it('round-trips: a backup of the restored site holds the same rows, but for replay marks moved forward', async () => {
    const a = new PlainSite();
    a.config({ tries: 1 });
    populate(a);
    expect(await login(a, [hotpCode(0)])).toBe('SUCCESS');
    expect(await login(a, [wrongCode()])).toBe('FAILURE');
    const db = new Database(a.db);
    db.prepare("INSERT INTO throttle (id, failures, locked_until, updated_at) VALUES ('pbotp-mac:00ff', 2, NULL, 1700000000)").run();
    db.prepare(
      "INSERT INTO invitations (user_id, token_hash, display_name, email, language, activation_hash, state, created_at, expires_at, created_by) VALUES ('1002', 'h1', 'Bo', 'bo@example.org', 'de', NULL, 'pending', 1700000000, 4100000000, 'root')",
    ).run();
    db.close();
    const first = join(a.astDir, 'first.bak');
    backup(a, first, ['--with-audit']);

    const b = new PlainSite();
    const now = Math.floor(Date.now() / 1000);
    const r = restore(b, first);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ {2}throttle: 1\n {2}invitations: 1\n {2}roles: 0\n {2}api_tokens: 0\n {2}audit: \d+\n/);
    expect(r.stderr).toMatch(/1 invitation came back pending/);
    const second = join(b.astDir, 'second.bak');
    backup(b, second, ['--with-audit']);

    const x = await contentOf(first);
    const y = await contentOf(second);
    expect(y.key).toEqual(x.key);
    expect(y.schema).toBe(x.schema);
    for (const t of ['users', 'recovery_codes', 'throttle', 'invitations'] as const) expect(y.tables[t]).toEqual(x.tables[t]);
    expect(x.tables.users[0]).toMatchObject({ id: '1001', failures: 1, pin_streak: 1 });
    // Tokens: the same rows, the HOTP counter hotp_window further, the app's replay mark past the window.
    const marks = ({ counter: _c, last_step: _s, ...rest }: Row) => rest;
    expect(y.tables.tokens.map(marks)).toEqual(x.tables.tokens.map(marks));
    const fob = (c: typeof x) => c.tables.tokens.find((t) => t.serial === 'H1')!;
    const app = (c: typeof x) => c.tables.tokens.find((t) => t.serial === 'app:1001')!;
    expect(fob(x).counter).toBe(1);
    expect(fob(y).counter).toBe(6);
    expect(app(y).last_step).toBeGreaterThanOrEqual(Math.floor(now / 30) + 1);
    // The audit log: the first backup's rows, then this restore's row and the second backup's.
    const audit = (c: typeof x) => c.tables.audit!.map((e) => `${e.source} ${e.reason}`);
    expect(audit(y)).toEqual([...audit(x), 'admin restore', 'admin backup']);
    expect(y.tables.audit!.slice(0, x.tables.audit!.length)).toEqual(x.tables.audit);
  });

  it("warns after the restore of tokens whose codes are longer than the target's calls take", () => {
    const a = new PlainSite();
    a.config({ digits: 8 });
    a.enroll('1001', '4321', undefined, ['--digits', '8']);
    const file = join(a.astDir, 'eight.bak');
    backup(a, file);
    const b = new PlainSite();
    b.config({});
    const r = restore(b, file);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^astotp: warning: calls take codes of up to 6 digits, so 1001 cannot log in \(longer codes\); set digits = 8 in astotp\.conf$/m,
    );
    // With the digits the backup's site had, nothing to say.
    const c = new PlainSite();
    c.config({ digits: 8 });
    expect(restore(c, file).stderr).not.toMatch(/cannot log in/);
  });

  it("takes the backup's time for now when this machine's clock is behind it, and warns", async () => {
    const a = new PlainSite();
    populate(a);
    const file = join(a.astDir, 'site.bak');
    backup(a, file);
    // As if made an hour from now: this machine's clock is an hour behind the one that made it.
    const ahead = Math.floor(Date.now() / 1000) + 3600;
    const content = JSON.parse(gunzipSync(await openBackup(readFileSync(file), PASSPHRASE, file)).toString('utf8'));
    const later = join(a.astDir, 'later.bak');
    writeFileSync(later, await sealBackup(gzipSync(JSON.stringify({ ...content, made_at: ahead })), PASSPHRASE));
    const b = new PlainSite();
    b.config({ window: 1 });
    const r = restore(b, later);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^astotp: warning: this machine's clock is 3[56]\d\d s behind the time the backup was made \(made .* UTC on .*\): TOTP replay marks were set from the backup's time instead; set the clock right \(NTP\) before calls come in$/m,
    );
    const db = new Database(b.db, { readonly: true });
    const mark = (db.prepare("SELECT last_step FROM tokens WHERE serial = 'app:1001'").get() as { last_step: number }).last_step;
    db.close();
    expect(mark).toBe(Math.floor(ahead / 30) + 1);
    // A clock that is right says nothing.
    const right = restore(new PlainSite(), file);
    expect(right.status).toBe(0);
    expect(right.stderr).not.toMatch(/behind/);
  });

  it('refuses a wrong passphrase, a flipped byte, a truncated file, a newer format and no backup, writing nothing', () => {
    const { file, bytes, b, variant } = backupAndNewSite();
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 40]! ^= 0x01;
    const newer = Buffer.from(bytes);
    newer[8] = 2;
    const cases: [string, string, RegExp][] = [
      [
        file,
        'not the passphrase',
        /^astotp: the passphrase does not open .*site\.bak \(or its header was altered\); nothing was written\n/m,
      ],
      [
        variant('flipped.bak', flipped),
        PASSPHRASE,
        /^astotp: .*flipped\.bak was altered or damaged since it was made \(it does not authenticate\); nothing was written\n/m,
      ],
      [
        variant('cut.bak', bytes.subarray(0, bytes.length - 1)),
        PASSPHRASE,
        /^astotp: .*cut\.bak is truncated \(shorter than its header says\); nothing was written\n/m,
      ],
      [
        variant('newer.bak', newer),
        PASSPHRASE,
        /^astotp: .*newer\.bak is a backup of format 2, made by a newer astotp \(this one reads format 1\)/m,
      ],
      [variant('other.bak', Buffer.from('user,pin,secret\n')), PASSPHRASE, /^astotp: .*other\.bak is not an astotp backup\n/m],
    ];
    for (const [path, passphrase, sentence] of cases) {
      const r = restore(b, path, [], passphrase);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(sentence);
      expect(r.stdout).toBe('');
      expect(existsSync(b.db)).toBe(false);
      expect(existsSync(b.keyFile)).toBe(false);
    }
  });

  it("refuses a header asking scrypt for more than astotp writes, and never shows scrypt's own error", () => {
    const { bytes, b, variant } = backupAndNewSite();
    // Bytes 10, 11 and 12 of the header: log2 N, r and p.
    const crafted = (log2N: number, r: number, p: number) => {
      const data = Buffer.from(bytes);
      data[10] = log2N;
      data[11] = r;
      data[12] = p;
      return variant(`${log2N}-${r}-${p}.bak`, data);
    };
    const unreadable = /^astotp: .*\.bak has a header this astotp cannot read \(altered\?\); nothing was written\n/m;
    // Over the caps (1 GiB; 1 GiB; p = 31), then within them but refused by scrypt itself (N >= 2^16 with r = 1).
    for (const [log2N, r, p] of [
      [23, 1, 1],
      [20, 8, 1],
      [10, 255, 31],
      [10, 1, 5],
      [16, 1, 1],
      [21, 1, 1],
    ] as const) {
      const res = restore(b, crafted(log2N, r, p));
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(unreadable);
      expect(res.stderr).not.toMatch(/Invalid scrypt|error:0|memory limit/);
      expect(existsSync(b.db)).toBe(false);
    }
    // At the cap (256 MiB): scrypt runs, and the check tells the header was changed.
    const atCap = restore(b, crafted(18, 8, 1));
    expect(atCap.stderr).toMatch(/the passphrase does not open .* \(or its header was altered\); nothing was written/);
    expect(existsSync(b.keyFile)).toBe(false);
  });

  it('refuses a database in use and another key file without --force, and replaces both with it', () => {
    const a = new PlainSite();
    populate(a);
    const file = join(a.astDir, 'site.bak');
    backup(a, file);
    const b = new PlainSite();
    b.enroll('2002', '5555');
    const theirKey = readFileSync(b.keyFile);
    const other = restore(b, file);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/^astotp: key file .*astotp\.key holds another key than the backup's; nothing was written \(--force/m);
    expect(readFileSync(b.keyFile)).toEqual(theirKey);
    expect(b.cli(['list']).stdout).toMatch(/^2002 /m);

    const theirAudit = rowCounts(b)[3]!;
    expect(theirAudit).toBeGreaterThan(0);
    const forced = restore(b, file, ['--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/Key file .*: replaced\./);
    // Their audit log is gone with the rest, and the restore says so.
    expect(forced.stdout).toContain(
      `Deleted: the ${theirAudit} audit row${theirAudit === 1 ? '' : 's'} the database held before (its own log; --force keeps only the backup's, and this backup has none).`,
    );
    expect(rowCounts(b)[3]).toBe(1);
    expect(readFileSync(b.keyFile)).toEqual(readFileSync(a.keyFile));
    const list = b.cli(['list']).stdout;
    expect(list).toMatch(/^1001 /m);
    expect(list).not.toMatch(/^2002 /m);

    // Same key now, but the database holds the site already.
    const again = restore(b, file);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds users, tokens, counts, audit rows or another key's check; nothing was written \(--force/);
    const kept = restore(b, file, ['--force']);
    expect(kept.stdout).toMatch(/Key file .*: kept \(it holds the backup's key\)\./);
    expect(kept.stdout).toContain('Deleted: the 1 audit row the database held before');
  });

  it('takes no passphrase from the command line and refuses short ones, unsafe files and a missing terminal', () => {
    const a = new PlainSite();
    populate(a);
    const out = join(a.astDir, 'x.bak');
    const argv = a.cli(['backup', '--out', out, '--passphrase', PASSPHRASE]);
    expect(argv.status).toBe(2);
    expect(argv.stderr).toMatch(/unknown option --passphrase/);
    expect(argv.stderr).not.toContain(PASSPHRASE);
    const short = a.cli(['backup', '--out', out, '--passphrase-file', secretFile(a, 'short', 'elevenchars')]);
    expect(short.status).toBe(1);
    expect(short.stderr).toMatch(/^astotp: a backup's passphrase must be at least 12 characters\n/m);
    for (const same of ['a'.repeat(12), ' '.repeat(14)]) {
      const repeated = a.cli(['backup', '--out', out, '--passphrase-file', secretFile(a, 'same', same)]);
      expect(repeated.status).toBe(1);
      expect(repeated.stderr).toMatch(/^astotp: a backup's passphrase must not be one character repeated\n/m);
    }
    const open = secretFile(a, 'open', PASSPHRASE);
    chmodSync(open, 0o644);
    const readable = a.cli(['backup', '--out', out, '--passphrase-file', open]);
    expect(readable.status).toBe(1);
    expect(readable.stderr).toMatch(/is readable or writable by group or others \(mode 644\); run chmod 600/);
    const piped = a.cli(['backup', '--out', out], `${PASSPHRASE}\n${PASSPHRASE}\n`);
    expect(piped.status).toBe(2);
    expect(piped.stderr).toMatch(/no terminal to ask the passphrase on: give --passphrase-file FILE/);
    expect(existsSync(out)).toBe(false);
    // A pipe, as bash's <(...) gives one: the passphrase from a secret manager, never on disk.
    const fromPipe = execFileSync(
      'bash',
      ['-c', `"$0" "$1" backup --out "$2" --passphrase-file <(printf '%s\\n' "$3")`, process.execPath, BUNDLE_PATH, out, PASSPHRASE],
      {
        env: a.env,
        encoding: 'utf8',
      },
    );
    expect(fromPipe).toMatch(/^Backed up /);
    expect(existsSync(out)).toBe(true);
    rmSync(out);
    // An existing file is never overwritten without --force.
    writeFileSync(out, 'keep me');
    const exists = a.cli(['backup', '--out', out, '--passphrase-file', secretFile(a, 'pass', PASSPHRASE)]);
    expect(exists.status).toBe(1);
    expect(exists.stderr).toMatch(/it exists already/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });

  it('takes a passphrase file only when no one but its owner, the admin or root, may read or write it; pipes too', () => {
    const a = new PlainSite();
    populate(a);
    const out = join(a.astDir, 'x.bak');
    const sh = (script: string, ...args: string[]) =>
      spawnSync('bash', ['-c', script, process.execPath, BUNDLE_PATH, out, ...args], { env: a.env, encoding: 'utf8' });
    // A named pipe anyone may write to: whoever writes first would choose the passphrase.
    const fifo = join(a.astDir, 'open.fifo');
    execFileSync('mkfifo', ['-m', '666', fifo]);
    const open = sh(
      `printf '%s\\n' "$4" >"$3" & "$0" "$1" backup --out "$2" --passphrase-file "$3"; s=$?; wait; exit $s`,
      fifo,
      PASSPHRASE,
    );
    expect(open.status).toBe(1);
    expect(open.stderr).toMatch(/open\.fifo is readable or writable by group or others \(mode 666\)/);
    const groupWrites = secretFile(a, 'group-writes', PASSPHRASE);
    chmodSync(groupWrites, 0o620);
    expect(a.cli(['backup', '--out', out, '--passphrase-file', groupWrites]).stderr).toMatch(/\(mode 620\); run chmod 600/);
    if (process.getuid?.() === 0) {
      // Another user's file, named directly or through a link: that user can read and rewrite it.
      const theirs = secretFile(a, 'theirs', PASSPHRASE);
      chownSync(theirs, 1000, 1000);
      const link = join(a.astDir, 'link.pass');
      symlinkSync(theirs, link);
      for (const path of [theirs, link]) {
        const r = a.cli(['backup', '--out', out, '--passphrase-file', path]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/ belongs to uid 1000, who can read and change it; use a file of your own \(uid 0\)/);
      }
    }
    expect(existsSync(out)).toBe(false);
    // Standard input as a pipe, and a named pipe of the admin's own, are taken.
    const stdin = sh(`printf '%s\\n' "$3" | "$0" "$1" backup --out "$2" --passphrase-file /dev/stdin`, PASSPHRASE);
    expect(stdin.stderr).not.toMatch(/cannot read/);
    expect(stdin.status).toBe(0);
    rmSync(out);
    chmodSync(fifo, 0o600);
    const own = sh(`printf '%s\\n' "$4" >"$3" & "$0" "$1" backup --out "$2" --passphrase-file "$3"; s=$?; wait; exit $s`, fifo, PASSPHRASE);
    expect(own.status).toBe(0);
  });

  it("leaves a passphrase file's byte order mark out of the passphrase", () => {
    const a = new PlainSite();
    populate(a);
    const file = join(a.astDir, 'bom.bak');
    const made = a.cli(['backup', '--out', file, '--passphrase-file', secretFile(a, 'bom.pass', `\uFEFF${PASSPHRASE}\r`)]);
    expect(made.status).toBe(0);
    const r = restore(new PlainSite(), file);
    expect(r.stderr).not.toMatch(/does not open/);
    expect(r.status).toBe(0);
  });

  it('records a backup only once its file can be written there, by its absolute path', () => {
    const a = new PlainSite();
    populate(a);
    const pass = secretFile(a, 'pass', PASSPHRASE);
    const taken = join(a.astDir, 'taken.bak');
    writeFileSync(taken, 'keep me');
    const refusals: [string[], RegExp][] = [
      [['--out', taken], /^astotp: cannot create .*taken\.bak: it exists already \(nothing is overwritten\)\n/m],
      [['--out', join(a.astDir, 'no-such-dir', 'x.bak')], /^astotp: cannot create .*x\.bak: no such file or directory\n/m],
      [['--out', join(taken, 'x.bak')], /^astotp: cannot create .*x\.bak: .*taken\.bak is not a directory\n/m],
      [['--out', a.astDir, '--force'], /^astotp: cannot create .*: it is a directory\n/m],
    ];
    for (const [args, sentence] of refusals) {
      const r = a.cli(['backup', ...args, '--passphrase-file', pass]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(sentence);
    }
    expect(readFileSync(taken, 'utf8')).toBe('keep me');
    expect(a.cli(['log', '--admin']).stdout).not.toMatch(/ backup /);
    // A relative --out is recorded as the file it names.
    const made = spawnSync(process.execPath, [BUNDLE_PATH, 'backup', '--out', 'rel.bak', '--passphrase-file', pass], {
      env: a.env,
      cwd: a.astDir,
      encoding: 'utf8',
    });
    expect(made.status).toBe(0);
    const rows = a
      .cli(['log', '--admin'])
      .stdout.split('\n')
      .filter((line) => / backup /.test(line));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(`backup (to ${join(a.astDir, 'rel.bak')})`);
  });

  it('asks for the passphrase unseen on a terminal: twice for a backup, once for a restore', async () => {
    const a = new PlainSite();
    populate(a);
    const out = join(a.astDir, 'tty.bak');
    const make = new PtySession([process.execPath, BUNDLE_PATH, 'backup', '--out', out], a.env);
    await make.waitFor('New passphrase (at least 12 characters): ');
    make.typeLine('short');
    await make.waitFor('at least 12 characters');
    await make.waitFor('New passphrase (at least 12 characters): ');
    make.typeLine(PASSPHRASE);
    await make.waitFor('Repeat the passphrase: ');
    make.typeLine(PASSPHRASE);
    expect(await make.exit()).toBe(0);
    expect(make.output).not.toContain(PASSPHRASE);
    const b = new PlainSite();
    const back = new PtySession([process.execPath, BUNDLE_PATH, 'restore', out], b.env);
    await back.waitFor('Passphrase: ');
    back.typeLine(PASSPHRASE);
    expect(await back.exit()).toBe(0);
    expect(back.output).toMatch(/users: 1/);
    expect(back.output).not.toContain(PASSPHRASE);
  });

  it('is served by a running serve-agi and serve-web with the restored key from their next call and request on', async () => {
    const source = new PlainSite();
    source.config({ tries: 1 });
    const codes = populate(source);
    const file = join(source.astDir, 'site.backup');
    expect(source.cli(['backup', '--out', file, '--passphrase-file', secretFile(source, 'pass', PASSPHRASE)]).status).toBe(0);

    // The new PBX: set up with a key of its own, its servers started on it.
    const target = new PlainSite();
    target.config({ tries: 1, lockout_failures: 1000 });
    expect(target.cli(['init']).status).toBe(0);
    const agi = await AgiServer.start(target.env);
    const web = await WebServer.start(target.env);
    try {
      const restored = target.cli(['restore', file, '--passphrase-file', secretFile(target, 'pass', PASSPHRASE), '--force']);
      expect(restored.stdout, restored.stderr).toMatch(/Key file .*: replaced/);
      const call = await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', ...recoveryEntry(codes[0]!)] });
      expect(call.variables.ASTOTP).toBe('SUCCESS');
      const client = new WebClient(web.origin);
      expect((await loginOverHttp(client, '1001', '4321', `*${codes[1]}`)).status).toBe(303);
      // Both judged with the key on disk: nothing counted against 1001.
      expect(target.cli(['show', '1001']).stdout).toMatch(/^failures:\s+0\b/m);

      // A key file that is not the database's (copied before its database): refused, nothing counted, until it is.
      const other = new PlainSite();
      expect(other.cli(['init']).status).toBe(0);
      const restoredKey = readFileSync(target.keyFile);
      writeFileSync(target.keyFile, readFileSync(other.keyFile));
      const refused = await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', ...recoveryEntry(codes[2]!)] });
      expect(refused.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
      expect((await new WebClient(web.origin).get('/login')).status).toBe(503);
      writeFileSync(target.keyFile, restoredKey);
      expect((await fastAgiCall({ port: agi.port, inputs: ['1001', '4321', ...recoveryEntry(codes[2]!)] })).variables.ASTOTP).toBe(
        'SUCCESS',
      );
      expect((await new WebClient(web.origin).get('/login')).status).toBe(200);
      expect(target.cli(['show', '1001']).stdout).toMatch(/^failures:\s+0\b/m);
    } finally {
      await agi.stop();
      await web.stop();
    }
  });

  it('leaves the database empty when the restore is killed midway, and the key file matching it', async () => {
    const a = new PlainSite();
    populate(a);
    // Enough audit rows that the restore's transaction writes for a while before it commits.
    const db = new Database(a.db);
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
      INSERT INTO audit (at, user, login, caller_id, channel, uniqueid, source, result, reason, detail, pbx)
      SELECT 1700000000 + i, '1001', '1001', '100', 'PJSIP/100-' || i, 'u' || i, 'agi', 'FAILURE', 'bad-credentials', 'a call that failed', 'pbx' FROM n`);
    db.close();
    const file = join(a.astDir, 'big.bak');
    backup(a, file, ['--with-audit']);

    // A fresh machine: killed midway, the database holds nothing, beside the backup's key, written whole before the rows.
    const b = new PlainSite();
    expect(await killedMidway(b, file)).toBe('SIGKILL');
    expect(rowCounts(b)).toEqual([0, 0, 0, 0]);
    expect(readFileSync(b.keyFile)).toEqual(readFileSync(a.keyFile));
    const again = restore(b, file);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/audit: 30000[0-9]\n/);

    // --force over a site of another key: emptied before its key file is replaced, so whatever key file the kill
    // left, no row sits beside a key that cannot open it, and the database opens with it.
    const c = new PlainSite();
    c.enroll('2002', '5555');
    expect(await killedMidway(c, file, ['--force'])).toBe('SIGKILL');
    expect(rowCounts(c)).toEqual([0, 0, 0, 0]);
    expect(c.cli(['list']).status).toBe(0);
    expect(restore(c, file, ['--force']).status).toBe(0);
    expect(readFileSync(c.keyFile)).toEqual(readFileSync(a.keyFile));
  });

  it("runs README's backup and restore-test commands as printed", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const a = new PlainSite();
    populate(a);
    secretFile(a, 'backup.pass', PASSPHRASE);
    const scratch = join(a.astDir, 'restore-test');
    const commands = (intro: string) =>
      readmeBlock(readme, intro)
        .split('\n')
        .filter((line) => line.startsWith('astotp '))
        .map((line) =>
          line
            .replaceAll('/root/', `${a.astDir}/`)
            .replaceAll('$(date +%F)', '2025-01-31')
            .replaceAll('/tmp/restore-test', scratch)
            .split(' ')
            .slice(1),
        );
    const made = commands('`astotp backup --out FILE` writes');
    expect(made).toHaveLength(1);
    for (const args of made) expect(a.cli(args).status).toBe(0);
    mkdirSync(scratch, { mode: 0o700 });
    const tried = commands('**Test a restore**');
    expect(tried).toHaveLength(2);
    const results = tried.map((args) => a.cli(args));
    expect(results.map((r) => r.status)).toEqual([0, 0]);
    expect(results[0]!.stdout).toMatch(/users: 1\n/);
    expect(results[1]!.stdout).toMatch(/^1001 /m);
  });

  it('knows every table of the schema: each is backed up or left out for a stated reason', () => {
    const site = new PlainSite();
    expect(site.cli(['init']).status).toBe(0);
    const db = new Database(site.db, { readonly: true });
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]
    ).map((r) => r.name);
    db.close();
    expect(tables.length).toBeGreaterThan(5);
    expect(tables.filter((t) => !(t in BACKUP_TABLES))).toEqual([]);
    // And nothing is listed that SQLite's schema lacks, but PostgreSQL's own record of its migrations.
    expect(Object.keys(BACKUP_TABLES).filter((t) => !tables.includes(t))).toEqual(['schema_migrations']);
  });
});

describePostgres('astotp backup and restore (PostgreSQL)', () => {
  const server = usePostgres();

  it("knows every table of PostgreSQL's schema", async () => {
    const url = await freshDatabase(server(), `backup_tables_${process.pid}`);
    const pbx = new PgSite(server(), url);
    expect(pbx.cli(['init']).status).toBe(0);
    const rows = await queryDatabase<{ table_name: string }>(
      server(),
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    const tables = rows.map((r) => r.table_name);
    expect(tables.length).toBeGreaterThan(5);
    expect(tables.filter((t) => !(t in BACKUP_TABLES))).toEqual([]);
    expect(Object.keys(BACKUP_TABLES).filter((t) => !tables.includes(t))).toEqual([]);
  });

  it('restores SQLite into PostgreSQL and back, the users logging in on each', async () => {
    const a = new PlainSite();
    a.config({ tries: 1 });
    const codes = populate(a);
    expect(await login(a, [hotpCode(0)])).toBe('SUCCESS');
    const file = join(a.astDir, 'sqlite.bak');
    backup(a, file, ['--with-audit']);

    const pg = new PgSite(server(), await freshDatabase(server(), `backup_${process.pid}`), 'pg-pbx');
    pg.config({ tries: 1, window: 0 });
    const there = restore(pg, file);
    expect(there.stderr).not.toMatch(/error/i);
    expect(there.status).toBe(0);
    expect(there.stdout).toMatch(/into postgres:\/\/.*:\n {2}users: 1\n {2}tokens: 2\n {2}recovery_codes: 5\n/);
    expect(there.stdout).not.toContain(server().password);
    pg.config({ tries: 1 });
    expect(await login(pg, [hotpCode(1)])).toBe('FAILURE');
    expect(await login(pg, [hotpCode(6)])).toBe('SUCCESS');
    expect(await login(pg, [totp(undefined, { offset: 30 })])).toBe('SUCCESS');
    const fromPg = join(pg.astDir, 'pg.bak');
    backup(pg, fromPg, ['--with-audit']);

    const c = new PlainSite();
    c.config({ tries: 1, window: 0 });
    const back = restore(c, fromPg);
    expect(back.status).toBe(0);
    c.config({ tries: 1 });
    expect(await login(c, [hotpCode(7)])).toBe('FAILURE');
    expect(await login(c, [hotpCode(12)])).toBe('SUCCESS');
    expect(await login(c, recoveryEntry(codes[0]!))).toBe('SUCCESS');

    // Rows are rows on either database: what came from SQLite went back to SQLite as it was, but for the logins and marks since.
    const x = await contentOf(file);
    const y = await contentOf(fromPg);
    const user = ({ id, pin_hash, display_name, created_at }: Row) => ({ id, pin_hash, display_name, created_at });
    expect(y.tables.users.map(user)).toEqual(x.tables.users.map(user));
    expect(y.tables.recovery_codes).toEqual(x.tables.recovery_codes);
    expect(y.tables.audit!.slice(0, x.tables.audit!.length)).toEqual(x.tables.audit);
  });
});
