// astotp export: the users as CSV that astotp import reads back, or JSON, so
// a site can move. Secrets only when asked for; PINs never, as only their
// hashes exist, and those open nothing without this site's key file.
import { otpauthUri } from '../../auth/totp.js';
import { UserAdminError } from '../../auth/user-admin.js';
import { writeAdminFile } from '../admin-files.js';
import { expectPositionals, flagOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { issuerOption } from '../enrollment.js';
import { CliFailure } from '../errors.js';
import { counted, isoTime, json } from '../format.js';
import { CSV_COLUMNS, csvField } from '../import/csv.js';
import { loginActor, openForCommand } from '../open.js';

export const command: Command = {
  help: `Usage: astotp export [--reveal-secret] [--out FILE] [--json]

Writes every user as CSV in the columns astotp import reads (user, pin,
secret, algorithm, digits, period, name, email, language), or with --json as a list of objects
that also say whether the user is enabled and has a PIN. PINs are never
written (only their hashes are kept): the pin column stays empty, so users
imported from it have no PIN until astotp set-pin. Nor are recovery codes
(only their HMACs are kept), failure counts, locks, replay marks, whether a
user is disabled, or the audit log: astotp migrate copies all of that to a
database used with the same key file. The secret column stays
empty too unless --reveal-secret is given; importing such a file gives every
user a new secret. Key fobs are not written: only apps' secrets are (a user
holding only fobs is written with astotp.conf's code parameters and no
secret). A field a spreadsheet would run as a formula (starting
with =, +, -, @, a tab or CR, e.g. user ID +4930123) is written after a ',
which makes it text; import takes that ' away again.

With --reveal-secret the output holds every secret in plain text: whoever
reads it can make the users' codes. The export is recorded in the audit log
(astotp log --admin).

Options:
  --reveal-secret      include each user's secret (and, with --json, its otpauth:// URI)
  --out FILE           write to FILE instead of standard output: created with
                       mode 0600, as the user who runs astotp; never overwritten
  --issuer NAME        issuer of the URIs (default: issuer in astotp.conf)
`,
  options: { 'reveal-secret': 'boolean', out: 'string', issuer: 'string' },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const reveal = flagOption(ctx.args, 'reveal-secret');
    const out = stringOption(ctx.args, 'out');
    const { store, admin, settings } = await openForCommand(ctx, false);
    try {
      const issuer = issuerOption(ctx.args, settings);
      const users = await store.read((t) => t.users.list());
      // Recorded before a secret leaves: no export of the secrets without its row in the log.
      const secrets = reveal ? await revealed(admin.revealSecrets(loginActor, users, out)) : null;
      const apps = await store.read(
        async (t) => new Map((await t.tokens.list()).filter((k) => k.kind === 'app').map((k) => [k.user_id, k])),
      );
      // The app's code parameters; a user who holds only fobs is written with the site's, and no secret (fobs are never exported).
      const records = users.map((u, i) => {
        const app = apps.get(u.id);
        const params = {
          algorithm: app?.algorithm ?? settings.algorithm,
          digits: app?.digits ?? settings.digits,
          period: app?.period ?? settings.period,
        };
        return { u, ...params, secret: secrets?.[i]?.secret ?? null };
      });
      let text: string;
      if (ctx.globals.json) {
        const view = ({ u, secret, ...p }: (typeof records)[number]) => ({
          user: u.id,
          enabled: u.enabled === 1,
          pin: u.pin_hash !== null,
          algorithm: p.algorithm,
          digits: p.digits,
          period: p.period,
          name: u.display_name,
          email: u.email,
          language: u.language,
          created: isoTime(u.created_at),
          ...(secret === null ? {} : { secret, uri: otpauthUri({ secret, ...p }, issuer, u.id) }),
        });
        text = `${json(records.map(view))}\n`;
      } else {
        const line = ({ u, secret, ...p }: (typeof records)[number]) =>
          [u.id, '', secret ?? '', p.algorithm, String(p.digits), String(p.period), u.display_name ?? '', u.email ?? '', u.language ?? '']
            .map(csvField)
            .join(',');
        text = [CSV_COLUMNS.join(','), ...records.map(line)].map((l) => `${l}\n`).join('');
      }
      if (out === undefined) process.stdout.write(text);
      else writeAdminFile(out, text);
      if (reveal)
        ctx.warn(
          `the export holds the TOTP secrets of ${counted(users.length, 'user')} in plain text: keep it as safe as the key file, and delete it once imported`,
        );
      if (out !== undefined) ctx.note(`Exported ${counted(users.length, 'user')} to ${out} (mode 0600).`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

async function revealed<T>(secrets: Promise<T>): Promise<T> {
  try {
    return await secrets;
  } catch (err) {
    if (err instanceof UserAdminError && err.code === 'unreadable-secret') throw new CliFailure(`${err.message}; nothing was exported`);
    throw err;
  }
}
