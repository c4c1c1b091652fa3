// Dependencies point down. Every relative import in src/ is an edge from one
// folder (layer) to another; an edge that is not allowed here fails, so a
// shortcut up or sideways is a decision made in this file, not an accident.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/**
 * What each folder may import besides itself. From the top: main.ts picks an
 * entry point (entry/ for classic AGI, pam/, cli/); the CLI and the FastAGI
 * server put the pieces together; PAM (the pam_exec steps) is an entry
 * point that needs only the pbotp protocol,
 * and the CLI's doctor reads the steps' configuration by their rules; then
 * call → auth → store → native. The leaves import nothing of
 * astotp but text: agi (the protocol; only its adapter knows the call
 * layer), os (process identity and durable files), qr, sounds (which
 * writes its files through os), text itself
 * (help laid out for a terminal, the nearest name to a mistyped one, an
 * error as words), totp, and pbotp (the protocol), which the HTTP responder
 * serves.
 */
const ALLOWED: Record<string, readonly string[]> = {
  '(root)': ['entry', 'cli', 'pam', 'text'],
  entry: ['agi', 'call', 'text'],
  cli: [
    'notify',
    'fastagi',
    'responder',
    'pam',
    'web',
    'call',
    'auth',
    'store',
    'config',
    'pbotp',
    'qr',
    'sounds',
    'native',
    'os',
    'text',
    'totp',
    '(package.json)',
  ],
  pam: ['config', 'pbotp', 'qr', 'os', 'text'],
  // The web server (serve-web): a payload of its own, built on the admin service.
  // pbotp: the authority's console reads challenges and shows responses.
  web: ['auth', 'config', 'pbotp', 'qr', 'native', 'os', 'text'],
  fastagi: ['agi', 'call', 'auth', 'config', 'os', 'text'],
  responder: ['pbotp'],
  call: ['auth', 'config', 'notify', 'pbotp', 'sounds', 'text'],
  // sounds: the users' languages are the prompt languages (auth/user-profile.ts).
  auth: ['store', 'config', 'pbotp', 'os', 'totp', 'sounds', 'text'],
  store: ['native', 'os', 'totp', 'text'],
  native: ['os', 'text'],
  // The pbotp settings are checked where astotp.conf is read, so a bad key
  // is an error with its file and line; the checks (a public key must be a
  // usable X25519 point) belong to the protocol, which imports nothing back.
  config: ['pbotp', 'totp', 'text'],
  pbotp: [],
  agi: [],
  // An error as text (text/error-message.ts) is what every layer reports failures with.
  os: ['text'],
  qr: [],
  // install-sounds writes each prompt the way os/files.ts writes every file that must appear whole.
  sounds: ['os', 'text'],
  text: [],
  totp: [],
  // Account events written out for their sinks, and the detached notifier's start (below call, cli and web).
  notify: ['auth'],
};

/** Single files allowed one more edge than their folder. */
const EXCEPTIONS: ReadonlyArray<{ file: string; to: string; why: string }> = [
  {
    file: 'boot.ts',
    to: 'native',
    why: "dist/astotp's entry compiles the rest of the bundle, from V8's code cache, before any entry point runs",
  },
  { file: 'agi/agi-channel.ts', to: 'call', why: 'the adapter that implements CallChannel on an AGI session' },
  {
    file: 'config/settings.ts',
    to: 'store',
    why: 'whether db names a PostgreSQL URL (store/location.ts, a leaf) decides that key_file is required and a password refused',
  },
];

/**
 * The modules of auth/ and store/ the CLI may import (only: the files named,
 * when named). Sealing or opening a secret, hashing a PIN and writing a user
 * row are auth/user-admin.ts's alone, the service every entry point changes
 * users through: a command doing one itself would import secret-box,
 * pin-hash, master-key, key-binding or lockout's writes, and fails here.
 */
const CLI_MAY_IMPORT: Record<string, { why: string; only?: readonly string[] }> = {
  'auth/user-admin.ts': { why: 'every change to users, and the user ID and PIN rules' },
  'auth/admin-audit.ts': {
    why: "the CLI's actor, and migrate's row in the target's log",
    only: ['cli/open.ts', 'cli/commands/migrate.ts'],
  },
  'auth/open-auth.ts': { why: 'the database and its key file, opened together', only: ['cli/open.ts'] },
  'auth/call-auth.ts': { why: "what the FastAGI server's calls judge with", only: ['cli/commands/serve-agi.ts'] },
  'auth/key-check.ts': { why: "doctor's check that the key file opens every secret", only: ['cli/doctor/files.ts'] },
  'auth/clock.ts': { why: 'times as shown' },
  'auth/authority-admin.ts': {
    why: "every change to a pbotp authority's mark, approvers and API tokens; migrate copies the mark",
    only: ['cli/open.ts', 'cli/commands/migrate.ts', 'cli/doctor/authority.ts'],
  },
  // Not auth/authority.ts: that would carry the web's login code into what every call parses (web-payload.test.ts).
  'auth/authority-mark.ts': { why: "the audit source of the authority's responses", only: ['cli/commands/log.ts'] },
  'auth/approver-rights.ts': { why: "what an approver's groups and host patterns may be", only: ['cli/commands/role.ts'] },
  'auth/account-events.ts': { why: 'the events the notices are about', only: ['cli/open.ts', 'cli/commands/notify-deliver.ts'] },
  'auth/notice-marks.ts': { why: 'one mail per user and kind an hour', only: ['cli/commands/notify-deliver.ts'] },
  'auth/user-profile.ts': { why: "the rules of a user's name, address and language" },
  'auth/invitation-admin.ts': { why: 'every change to invitations', only: ['cli/open.ts', 'cli/commands/invite.ts'] },
  'auth/invitations.ts': { why: 'what an invitation is now, for list, show and invites; the activation code as shown' },
  'auth/totp.ts': { why: 'new secrets, otpauth:// URIs, a code as typed' },
  'auth/tokens.ts': { why: "what a token's name (app:USER, a fob's serial) may be, the cap, the resync window" },
  'auth/recovery-code-rules.ts': { why: 'how many codes and how a caller types one; new codes to show before the user is saved' },
  'auth/lockout.ts': { why: 'when a lock ends, for list and show', only: ['cli/user-view.ts'] },
  'auth/site-backup.ts': {
    why: 'a whole site into one sealed file and back: the rows, the key and the passphrase rule',
    only: ['cli/passphrase.ts', 'cli/commands/backup.ts', 'cli/commands/restore.ts'],
  },
  'auth/masked-id.ts': { why: 'log --user finds the IDs it masked', only: ['cli/commands/log.ts'] },
  'store/tables.ts': { why: 'the row types the reads return' },
  'store/location.ts': { why: 'whether db is a PostgreSQL URL' },
  'store/store.ts': {
    why: 'a second store: migrate copies into it, doctor opens it without the key',
    only: ['cli/commands/migrate.ts', 'cli/doctor/files.ts'],
  },
  'store/open-store.ts': { why: 'the same', only: ['cli/commands/migrate.ts', 'cli/doctor/files.ts'] },
  'store/schema.ts': { why: "doctor reports the schema's version", only: ['cli/doctor/files.ts'] },
  'store/postgres/pg-store.ts': { why: "doctor checks the server's TLS and clock", only: ['cli/doctor/files.ts'] },
};

/**
 * The modules of auth/ the web server may import: like the CLI, it changes
 * users only through the admin service (and the self-enrolment, login and
 * self-service rules built on it), never sealing a secret, hashing a PIN or
 * writing a row itself.
 */
const WEB_MAY_IMPORT = [
  'auth/account-events.ts',
  'auth/user-admin.ts',
  'auth/self-enrolment.ts',
  'auth/account-login.ts',
  'auth/self-service.ts',
  'auth/admin-audit.ts',
  'auth/open-auth.ts',
  'auth/reopening.ts',
  'auth/totp.ts',
  'auth/user-profile.ts',
  'auth/clock.ts',
  'auth/authority.ts',
  'auth/authority-admin.ts',
  'auth/approver-rights.ts',
];

/** The only CLI file that opens a write transaction: migrate's, on the database it copies into. */
const CLI_WRITERS = ['cli/commands/migrate.ts'];

interface Edge {
  file: string;
  from: string;
  to: string;
  spec: string;
  /** The imported file, relative to src/ (auth/secret-box.ts). */
  target: string;
}

function layerOf(path: string): string {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return `(${relative(resolve(SRC, '..'), path)})`;
  return rel.includes('/') ? rel.split('/')[0]! : '(root)';
}

/** Static, type-only, re-export and dynamic imports alike. */
function edges(): Edge[] {
  const out: Edge[] = [];
  const files = readdirSync(SRC, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const path = join(SRC, file);
    for (const m of readFileSync(path, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const from = layerOf(path);
      const imported = resolve(dirname(path), m[1]!);
      const to = layerOf(imported);
      if (from !== to) out.push({ file, from, to, spec: m[1]!, target: relative(SRC, imported).replace(/\.js$/, '.ts') });
    }
  }
  return out;
}

describe('the layers of src/', () => {
  const all = edges();

  it('finds the imports it checks', () => {
    // A broken scan would pass everything: make sure it sees known edges.
    expect(all).toContainEqual(expect.objectContaining({ file: 'store/sqlite/open-database.ts', to: 'native' }));
    expect(all).toContainEqual(expect.objectContaining({ file: 'main.ts', to: 'entry' }));
    expect(all).toContainEqual(expect.objectContaining({ file: 'entry/agi-main.ts', to: 'call', spec: '../call/serve-call.js' }));
  });

  it('has every folder in the allow-list', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it('imports only downwards', () => {
    const allowed = (e: Edge) => ALLOWED[e.from]?.includes(e.to) || EXCEPTIONS.some((x) => x.file === e.file && x.to === e.to);
    const bad = all.filter((e) => !allowed(e)).map((e) => `${e.file} imports ${e.spec} (${e.from} -> ${e.to})`);
    expect(bad).toEqual([]);
  });

  it('lets the CLI change users only through the admin service', () => {
    const reach = all.filter((e) => e.from === 'cli' && (e.to === 'auth' || e.to === 'store'));
    expect(reach).toContainEqual(expect.objectContaining({ file: 'cli/open.ts', target: 'auth/user-admin.ts' }));
    const bad = reach
      .filter((e) => {
        const rule = CLI_MAY_IMPORT[e.target];
        return !rule || (rule.only !== undefined && !rule.only.includes(e.file));
      })
      .map((e) => `${e.file} imports ${e.target}`);
    expect(bad).toEqual([]);
    const unused = Object.entries(CLI_MAY_IMPORT)
      .filter(([target, rule]) => !reach.some((e) => e.target === target && (rule.only?.includes(e.file) ?? true)))
      .map(([target]) => `${target}: no CLI file imports it; delete its entry`);
    expect(unused).toEqual([]);
    const writers = readdirSync(join(SRC, 'cli'), { recursive: true })
      .map((f) => `cli/${String(f)}`)
      .filter((f) => f.endsWith('.ts') && !CLI_WRITERS.includes(f) && /\.exclusive\(/.test(readFileSync(join(SRC, f), 'utf8')));
    expect(writers).toEqual([]);
  });

  it('keeps the web server apart: the CLI loads it only through load-web.ts, and it writes only through the admin service', () => {
    const fromCli = all.filter((e) => e.from === 'cli' && e.to === 'web');
    expect(fromCli).toContainEqual(expect.objectContaining({ target: 'web/load-web.ts' }));
    expect(fromCli.filter((e) => e.target !== 'web/load-web.ts').map((e) => `${e.file} imports ${e.target}`)).toEqual([]);
    const fromWeb = all.filter((e) => e.from === 'web' && e.to === 'auth');
    expect(fromWeb).toContainEqual(expect.objectContaining({ target: 'auth/self-enrolment.ts' }));
    expect(fromWeb.filter((e) => !WEB_MAY_IMPORT.includes(e.target)).map((e) => `${e.file} imports ${e.target}`)).toEqual([]);
    const writers = readdirSync(join(SRC, 'web'), { recursive: true })
      .map((f) => `web/${String(f)}`)
      .filter((f) => f.endsWith('.ts') && /\.exclusive\(/.test(readFileSync(join(SRC, f), 'utf8')));
    expect(writers).toEqual([]);
  });

  it('keeps no exception that is no longer needed', () => {
    const stale = EXCEPTIONS.filter((x) => !all.some((e) => e.file === x.file && e.to === x.to)).map(
      (x) => `${x.file} -> ${x.to}: delete this exception`,
    );
    expect(stale).toEqual([]);
  });

  it('decides on errors by class or code, never by the words of a message', () => {
    const files = readdirSync(SRC, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'));
    const pattern =
      /\.test\([^)]*\.message\b|\.message\s*(?:===|!==|==|!=)|\.message\.(?:includes|startsWith|endsWith|match|search|indexOf)\(/;
    const hits = files.flatMap((f) =>
      readFileSync(join(SRC, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
