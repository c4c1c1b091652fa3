// astotp import: many users in one command and one write transaction, from
// CSV and from google-authenticator-libpam files. All or nothing: every
// wrong line is reported with its file and line number, and then nothing is
// written. PINs are hashed before the transaction, so calls never wait on it.
import { otpauthUri } from '../../auth/totp.js';
import { widenThreadPool } from '../../os/thread-pool.js';
import { readAdminFile } from '../admin-files.js';
import { flagOption, stringsOption } from '../args.js';
import type { Command } from '../command.js';
import { issuerOption } from '../enrollment.js';
import { CliFailure, UsageError } from '../errors.js';
import { json, table } from '../format.js';
import { planImport, type ImportSource, type ImportUser } from '../import/plan.js';
import { loginActor, openForCommand, settingsOf } from '../open.js';
import { checkUserId } from '../validate.js';

/** 100,000 users of about 100 bytes a line, with room to spare. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Enough to see what is wrong; the count says how much more there is. */
const MAX_REPORTED = 100;

export const command: Command = {
  help: `Usage: astotp import [CSV-FILE...] [--google-authenticator USER=FILE...] [OPTIONS]

Adds many users at once, in one transaction: either every user of every
file is saved, or, if any line is wrong, none. Wrong lines are listed by
file and line number. A CSV-FILE of - is standard input.

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

Options:
  --google-authenticator USER=FILE   import FILE as user USER (repeatable)
  --force              replace users that exist already (new secret and PIN,
                       failure count and lock cleared); without it they are errors
  --allow-untypable    import IDs no caller can type (see astotp enroll)
  --issuer NAME        issuer of the printed URIs (default: issuer in astotp.conf)
  --json               print {imported, replaced, users: [...]}; a user given a
                       new secret has secret and uri, for provisioning
`,
  options: { 'google-authenticator': 'strings', force: 'boolean', 'allow-untypable': 'boolean', issuer: 'string' },

  async run(ctx) {
    const csvFiles = ctx.args.positionals;
    const gaFiles = stringsOption(ctx.args, 'google-authenticator').map(gaArg);
    if (csvFiles.length === 0 && gaFiles.length === 0) throw new UsageError('import needs a CSV-FILE or --google-authenticator USER=FILE');
    if (csvFiles.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read once');
    const force = flagOption(ctx.args, 'force');
    const settings = settingsOf(ctx);
    const issuer = issuerOption(ctx.args, settings);
    // Before anything uses libuv's thread pool, which reads its size once.
    const threads = widenThreadPool();

    // Read before root's astotp takes on the database owner's identity: as the admin.
    const sources: ImportSource[] = [];
    for (const f of csvFiles)
      sources.push({
        name: f === '-' ? 'standard input' : f,
        text: f === '-' ? await ctx.input.rest(MAX_INPUT_BYTES) : readAdminFile(f, MAX_INPUT_BYTES),
      });
    for (const g of gaFiles) sources.push({ name: g.file, user: g.user, text: readAdminFile(g.file, MAX_INPUT_BYTES) });
    const { users, errors } = planImport(sources, settings, flagOption(ctx.args, 'allow-untypable'));
    refuse(ctx, errors);
    if (users.length === 0) throw new CliFailure(`no users in ${sources.map((s) => s.name).join(', ')}; nothing was imported`);

    const { store, admin } = await openForCommand(ctx, true, settings);
    try {
      const existing = new Set((await store.read((t) => t.users.list())).map((u) => u.id));
      if (!force)
        refuse(
          ctx,
          users.filter((u) => existing.has(u.id)).map((u) => `${u.where}: user ${u.id} exists already (--force replaces it)`),
        );

      const pins = users.filter((u) => u.pin !== null).length;
      if (pins > 0) ctx.note(`Hashing ${pins} PIN${pins === 1 ? '' : 's'} (${threads} threads)...`);
      const replaced = await admin.import(loginActor, users, { replace: force });
      report(ctx, users, replaced, issuer);
      return 0;
    } finally {
      await store.close();
    }
  },
};

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

function report(ctx: Parameters<Command['run']>[0], users: ImportUser[], replaced: Set<string>, issuer: string): void {
  const fresh = users.filter((u) => u.newSecret);
  const pinless = users.filter((u) => u.pin === null).length;
  const summary = `Imported ${users.length} user${users.length === 1 ? '' : 's'}${replaced.size ? ` (${replaced.size} replaced)` : ''}${pinless ? `; ${pinless} without a PIN (passing only through a profile with ask_pin = no)` : ''}.`;
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
    });
    return ctx.out(json({ imported: users.length, replaced: replaced.size, users: users.map(view) }));
  }
  ctx.out(summary);
  if (fresh.length === 0) return;
  ctx.out(
    `New secrets for ${fresh.length} user${fresh.length === 1 ? '' : 's'}, for their authenticator apps (not shown again; astotp show USER --reveal-secret can):`,
  );
  ctx.out(
    table(
      ['USER', 'URI'],
      fresh.map((u) => [u.id, uri(u)]),
    ),
  );
}
