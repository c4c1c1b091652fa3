// astotp import: many users in one command and one write transaction, from
// CSV and from google-authenticator-libpam files. All or nothing: every
// file that cannot be read, every wrong line and every user that exists
// already is reported at once, with its file and line number, and then
// nothing is written. PINs are hashed before the transaction, so calls
// never wait on it.
import { existsSync } from 'node:fs';
import { otpauthUri } from '../../auth/totp.js';
import type { Settings } from '../../config/settings.js';
import { widenThreadPool } from '../../os/thread-pool.js';
import { isPostgresUrl } from '../../store/location.js';
import { readAdminFile } from '../admin-files.js';
import { flagOption, stringOption, stringsOption } from '../args.js';
import type { Command } from '../command.js';
import { issuerOption } from '../enrollment.js';
import { CliFailure, UsageError } from '../errors.js';
import { counted, json, table } from '../format.js';
import { type ImportProblem, type ImportSource, type ImportUser, planImport, problemLines } from '../import/plan.js';
import { planPskcImport } from '../import/pskc-plan.js';
import { loginActor, type OpenedForCommand, openForCommand, settingsOf } from '../open.js';
import { RECOVERY_CODES_ONCE, RECOVERY_CODES_USE, recoveryCountHelp, recoveryCountOption } from '../recovery-code-sheet.js';
import { checkUserId } from '../validate.js';
import { errorMessage } from '../../text/error-message.js';

/** 100,000 users of about 100 bytes a line, with room to spare. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Enough to see what is wrong; the count says how much more there is. */
const MAX_REPORTED = 100;

export const command: Command = {
  help: `Usage: astotp import [CSV-FILE...] [--google-authenticator USER=FILE...] [OPTIONS]
       astotp import --pskc FILE [--assign CSV-FILE] [--pskc-key-file FILE | --pskc-passphrase-file FILE]

Adds many users at once, in one transaction: either every user of every
file is saved, or, if anything is wrong, none. Every error of every file is
listed at once, by file and line number: a file that cannot be read, every
wrong line, every user that exists already. A CSV-FILE of - is standard
input.

CSV: one user per line, columns user, pin, secret, algorithm, digits,
period, name, email, language, in that order or in the order a header line
names (a first line starting with "user"). Only user is required: no PIN
means the user passes only through a profile with ask_pin = no, no secret
means a new random one (printed, to reach the user's phone), and algorithm,
digits and period default to astotp.conf's; name, email and language are
as for astotp set. Blank lines and lines starting with # are skipped.
One leading ' of a field is taken away (export writes it before a field a
spreadsheet would otherwise run as a formula).
  user,pin,secret
  1001,4321,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
  1002,,

google-authenticator-libpam: a user's ~/.google_authenticator (TOTP_AUTH
only) becomes user USER without a PIN (astotp set-pin sets one): its secret
and STEP_SIZE are kept; WINDOW_SIZE, RATE_LIMIT and DISALLOW_REUSE give way
to astotp's window, lockout and replay rule; its scratch codes become
recovery codes.

PINs are hashed (scrypt, some 25-55 ms each) on all cores before the write
begins. Files are read as the user who runs astotp, also when root's astotp
acts as the database owner.

PSKC (RFC 6030), a token vendor's file of key fobs: its HOTP and TOTP key
packages become tokens (algorithm, digits, counter, time step and serial as
the file says), nobody's until given to a user, or at once with --assign
(lines serial,user, users enrolled already). Secrets may be plain or
encrypted: with a pre-shared AES key (--pskc-key-file, the key in hex) or a
passphrase (--pskc-passphrase-file, its first line); every encrypted value
must match its MAC. A file with a DTD is refused. Every problem (a wrong
MAC or key, an algorithm astotp has not, a serial twice or in the database
already, a key package without a secret) is listed by key package and line,
and then nothing is written.

Options:
  --pskc FILE          import the key fobs of a PSKC file
  --assign FILE        with --pskc: give fobs to users, one serial,user per line
  --pskc-key-file FILE         the pre-shared key of an encrypted PSKC file, in hex
  --pskc-passphrase-file FILE  the passphrase of an encrypted PSKC file
  --google-authenticator USER=FILE   import FILE as user USER (repeatable)
  --force              replace users that exist already (new secret and PIN,
                       failure count and lock cleared); without it they are errors
  --allow-untypable    import IDs no caller can type (see astotp enroll)
  --issuer NAME        issuer of the printed URIs (default: issuer in astotp.conf)
${recoveryCountHelp('recovery-codes', 0)}
                       for each user without codes of its own (printed once)
  --json               print {imported, replaced, users: [...]}; a user given a
                       new secret has secret and uri, for provisioning, and one
                       given recovery codes has recovery_codes
`,
  options: {
    'google-authenticator': 'strings',
    force: 'boolean',
    'allow-untypable': 'boolean',
    issuer: 'string',
    'recovery-codes': 'string',
    pskc: 'string',
    assign: 'string',
    'pskc-key-file': 'string',
    'pskc-passphrase-file': 'string',
  },

  async run(ctx) {
    if (stringOption(ctx.args, 'pskc') !== undefined) return importPskc(ctx);
    for (const o of ['assign', 'pskc-key-file', 'pskc-passphrase-file'])
      if (stringOption(ctx.args, o) !== undefined) throw new UsageError(`--${o} goes with --pskc FILE`);
    const csvFiles = ctx.args.positionals;
    const gaFiles = stringsOption(ctx.args, 'google-authenticator').map(gaArg);
    if (csvFiles.length === 0 && gaFiles.length === 0) throw new UsageError('import needs a CSV-FILE or --google-authenticator USER=FILE');
    if (csvFiles.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read once');
    const force = flagOption(ctx.args, 'force');
    const recoveryCodes = recoveryCountOption(ctx.args, 'recovery-codes', 0);
    const settings = settingsOf(ctx);
    const issuer = issuerOption(ctx.args, settings);
    // Before anything uses libuv's thread pool, which reads its size once.
    const threads = widenThreadPool();

    // Read before root's astotp takes on the database owner's identity: as the admin.
    const problems: ImportProblem[] = [];
    // A file that cannot be read is one more error, reported with the others.
    const read = async (text: () => Promise<string> | string): Promise<string | null> => {
      try {
        return await text();
      } catch (err) {
        if (!(err instanceof CliFailure)) throw err;
        problems.push({ source: sources.length, line: 0, message: err.message });
        return null;
      }
    };
    const sources: ImportSource[] = [];
    for (const f of csvFiles) {
      const name = f === '-' ? 'standard input' : f;
      sources.push({ name, text: await read(() => (f === '-' ? ctx.input.rest(MAX_INPUT_BYTES) : readAdminFile(f, MAX_INPUT_BYTES))) });
    }
    for (const g of gaFiles) sources.push({ name: g.file, user: g.user, text: await read(() => readAdminFile(g.file, MAX_INPUT_BYTES)) });
    const plan = planImport(sources, settings, flagOption(ctx.args, 'allow-untypable'));
    const { users } = plan;
    problems.push(...plan.problems);
    if (problems.length === 0 && users.length === 0)
      throw new CliFailure(`no users in ${sources.map((s) => s.name).join(', ')}; nothing was imported`);

    // Created only for an import that will happen; opened to name the users that exist already beside the other errors.
    const clean = problems.length === 0;
    const opened = clean ? await openForCommand(ctx, true, settings) : await openIfThere(ctx, settings);
    try {
      if (opened && !force) {
        const existing = new Set((await opened.store.read((t) => t.users.list())).map((u) => u.id));
        for (const u of users.filter((u) => existing.has(u.id)))
          problems.push({ source: u.source, line: u.line, message: `user ${u.id} exists already (--force replaces it)` });
      }
      refuse(ctx, problemLines(sources, problems));
      const { admin } = opened!;
      const pins = users.filter((u) => u.pin !== null).length;
      if (pins > 0) ctx.note(`Hashing ${pins} PIN${pins === 1 ? '' : 's'} (${threads} threads)...`);
      const done = await admin.import(loginActor, users, { replace: force, recoveryCodes });
      report(ctx, users, done, issuer);
      return 0;
    } finally {
      await opened?.store.close();
    }
  },
};

/** The database, when there is one to open without creating anything; null, with a note, when it cannot be. */
async function openIfThere(ctx: Parameters<Command['run']>[0], s: Settings): Promise<OpenedForCommand | null> {
  if (!isPostgresUrl(s.db) && !existsSync(s.db)) return null;
  try {
    return await openForCommand(ctx, false, s);
  } catch (err) {
    ctx.note(`(not checked for users that exist already: ${errorMessage(err)})`);
    return null;
  }
}

function gaArg(arg: string): { user: string; file: string } {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1)
    throw new UsageError('--google-authenticator takes USER=FILE, e.g. 1001=/home/bob/.google_authenticator');
  return { user: checkUserId(arg.slice(0, eq)), file: arg.slice(eq + 1) };
}

/** Lists the wrong lines on stderr and ends the import, before anything is written. */
function refuse(ctx: Parameters<Command['run']>[0], errors: string[]): void {
  if (errors.length === 0) return;
  for (const e of errors.slice(0, MAX_REPORTED)) ctx.note(e);
  if (errors.length > MAX_REPORTED) ctx.note(`... and ${errors.length - MAX_REPORTED} more`);
  throw new CliFailure(`${errors.length} error${errors.length === 1 ? '' : 's'} in the input; nothing was imported`);
}

function report(
  ctx: Parameters<Command['run']>[0],
  users: ImportUser[],
  done: { replaced: Set<string>; newRecoveryCodes: Map<string, string[]> },
  issuer: string,
): void {
  const { replaced, newRecoveryCodes: codesOf } = done;
  const fresh = users.filter((u) => u.newSecret);
  const pinless = users.filter((u) => u.pin === null).length;
  const codesLeft = (u: ImportUser) => codesOf.get(u.id)?.length ?? u.ownRecoveryCodes.length;
  const codeless = users.filter((u) => codesLeft(u) === 0).length;
  const summary = `Imported ${counted(users.length, 'user')}${replaced.size ? ` (${replaced.size} replaced)` : ''}${pinless ? `; ${pinless} without a PIN (passing only through a profile with ask_pin = no)` : ''}${codeless ? `; ${codeless} without recovery codes (astotp recovery USER makes a set)` : ''}.`;
  const uri = (u: ImportUser) => otpauthUri(u.params, issuer, u.id);
  if (ctx.globals.json) {
    ctx.note(summary);
    const view = (u: ImportUser) => ({
      user: u.id,
      from: u.where,
      replaced: replaced.has(u.id),
      pin: u.pin !== null,
      algorithm: u.params.algorithm,
      digits: u.params.digits,
      period: u.params.period,
      new_secret: u.newSecret,
      ...(u.newSecret ? { secret: u.params.secret, uri: uri(u), issuer } : {}),
      recovery_codes_left: codesLeft(u),
      ...(codesOf.has(u.id) ? { recovery_codes: codesOf.get(u.id) } : {}),
    });
    return ctx.out(json({ imported: users.length, replaced: replaced.size, users: users.map(view) }));
  }
  ctx.out(summary);
  if (fresh.length > 0) {
    ctx.out(
      `New secrets for ${counted(fresh.length, 'user')}, for their authenticator apps (not shown again; astotp show USER --reveal-secret can):`,
    );
    ctx.out(
      table(
        ['USER', 'URI'],
        fresh.map((u) => [u.id, uri(u)]),
      ),
    );
  }
  if (codesOf.size > 0) {
    ctx.out(`Recovery codes for ${counted(codesOf.size, 'user')}, ${RECOVERY_CODES_USE}`);
    ctx.out(RECOVERY_CODES_ONCE);
    ctx.out(
      table(
        ['USER', 'RECOVERY CODES'],
        [...codesOf].map(([id, codes]) => [id, codes.join(' ')]),
      ),
    );
  }
}

/** A small file of one secret value; anything bigger is not one. */
const KEY_FILE_BYTES = 4096;

/** import --pskc: fobs of a vendor's file, all or none, after every problem was listed. */
async function importPskc(ctx: Parameters<Command['run']>[0]): Promise<number> {
  const file = stringOption(ctx.args, 'pskc')!;
  if (ctx.args.positionals.length > 0 || stringsOption(ctx.args, 'google-authenticator').length > 0)
    throw new UsageError('--pskc imports tokens, not users: give no CSV-FILE or --google-authenticator beside it');
  for (const o of ['force', 'allow-untypable'])
    if (flagOption(ctx.args, o)) throw new UsageError(`--${o} is for users, not --pskc (a serial in the database already is an error)`);
  const keyFile = stringOption(ctx.args, 'pskc-key-file');
  const passphraseFile = stringOption(ctx.args, 'pskc-passphrase-file');
  if (keyFile !== undefined && passphraseFile !== undefined)
    throw new UsageError('--pskc-key-file and --pskc-passphrase-file exclude each other');
  const assignFile = stringOption(ctx.args, 'assign');
  const settings = settingsOf(ctx);
  // Read as the admin, before root's astotp takes on the database owner's identity.
  const keys = {
    ...(keyFile === undefined ? {} : { preSharedKey: hexKey(keyFile, readAdminFile(keyFile, KEY_FILE_BYTES)) }),
    ...(passphraseFile === undefined ? {} : { passphrase: readAdminFile(passphraseFile, KEY_FILE_BYTES).split(/\r?\n/)[0]! }),
  };
  const { tokens, problems } = await planPskcImport(
    { name: file, text: readAdminFile(file, MAX_INPUT_BYTES) },
    keys,
    assignFile === undefined ? null : { name: assignFile, text: readAdminFile(assignFile, MAX_INPUT_BYTES) },
  );
  if (problems.length === 0 && tokens.length === 0) throw new CliFailure(`no key packages in ${file}; nothing was imported`);
  const opened = problems.length === 0 ? await openForCommand(ctx, true, settings) : await openIfThere(ctx, settings);
  try {
    if (opened) {
      const { serials, users } = await opened.store.read(async (t) => ({
        serials: new Set((await t.tokens.list()).map((k) => k.serial)),
        users: new Set((await t.users.list()).map((u) => u.id)),
      }));
      for (const k of tokens) {
        if (serials.has(k.serial)) problems.push(`${k.where}: token ${k.serial} is in the database already`);
        if (k.user !== null && !users.has(k.user))
          problems.push(`${k.where}: no user ${k.user} to give token ${k.serial} to (enroll it first)`);
      }
    }
    refuse(ctx, problems);
    await opened!.admin.importTokens(loginActor, tokens);
    const assigned = tokens.filter((k) => k.user !== null).length;
    const summary = `Imported ${counted(tokens.length, 'token')}${assigned ? `, ${assigned} given to users` : ''}${assigned < tokens.length ? `, ${tokens.length - assigned} nobody's yet (astotp token assign SERIAL USER)` : ''}.`;
    if (ctx.globals.json) {
      ctx.note(summary);
      ctx.out(
        json({
          imported: tokens.length,
          assigned,
          tokens: tokens.map((k) => ({ serial: k.serial, kind: k.kind, user: k.user, from: k.where })),
        }),
      );
    } else ctx.out(summary);
    return 0;
  } finally {
    await opened?.store.close();
  }
}

/** A pre-shared key as PSKC tools write it: hex, 16, 24 or 32 bytes; never repeated in a message. */
function hexKey(file: string, text: string): Buffer {
  const hex = text.trim().replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2}){16}$|^([0-9a-fA-F]{2}){24}$|^([0-9a-fA-F]{2}){32}$/.test(hex))
    throw new CliFailure(`${file} must hold one AES key in hex (32, 48 or 64 hex digits); nothing was imported`);
  return Buffer.from(hex, 'hex');
}
