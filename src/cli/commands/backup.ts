// astotp backup --out FILE: the whole site, key included, in one file sealed
// under a passphrase (auth/site-backup.ts); astotp restore reads it back.
import { type BackupCounts, makeBackup, MIN_PASSPHRASE_CHARS, SCRYPT } from '../../auth/site-backup.js';
import { checkAdminDestination, writeAdminFile } from '../admin-files.js';
import { expectPositionals, flagOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { loginActor, openForCommand } from '../open.js';
import { PASSPHRASE_HELP, PASSPHRASE_OPTIONS, readPassphrase } from '../passphrase.js';

export const command: Command = {
  help: `Usage: astotp backup --out FILE [--with-audit] [--passphrase-file FILE] [--force]

Writes the whole site into FILE, encrypted under a passphrase: every user
(PIN hash, name, mail address, language, failure counts and locks), every
token (sealed secret, HOTP counter, replay mark, drift), the recovery codes
(their HMACs, used or not), pbotp failure counts, invitations, a pbotp
authority's mark, approvers and API tokens (hashes), and the key file's
key, without which no secret, PIN hash or recovery code can be used; with
--with-audit the audit log too. Web sessions and notice times are left
out. The rows are read in one transaction: the backup is one moment of the
site. astotp restore FILE brings it back.

The passphrase protects all of it, the key included: it must be at least
${MIN_PASSPHRASE_CHARS} characters and not one character repeated, and is asked twice on
the terminal (or read from --passphrase-file, whose first line it is, a
leading byte order mark left out; never from the command line). Its key is derived with
scrypt (N = 2^${SCRYPT.log2N}, r = ${SCRYPT.r}, p = ${SCRYPT.p}) and the file is encrypted and
authenticated with AES-256-GCM. The backup is recorded in the audit log
(astotp log --admin) with FILE's absolute path, once it is clear FILE can be
created (its directory exists, and the name is free or --force is given).

Options:
  --out FILE              where to write it: created with mode 0600, as the user
                          who runs astotp; never overwritten, unless --force
  --with-audit            include the audit log
${PASSPHRASE_HELP}
  --force                 replace FILE if it exists
`,
  options: { out: 'string', 'with-audit': 'boolean', force: 'boolean', ...PASSPHRASE_OPTIONS },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const out = stringOption(ctx.args, 'out');
    if (!out) throw new UsageError('backup needs --out FILE');
    const withAudit = flagOption(ctx.args, 'with-audit');
    const force = flagOption(ctx.args, 'force');
    // Before the audit row: a backup that cannot be written for a cheap reason is no backup to record.
    const destination = checkAdminDestination(out, force);
    const passphrase = await readPassphrase(ctx, ctx.args, true);
    const { store, key, settings, now } = await openForCommand(ctx, false);
    try {
      const { file, counts } = await makeBackup(store, key, settings.keyFile, {
        passphrase,
        withAudit,
        destination,
        actor: loginActor,
        place: { pbx: settings.pbxName, now },
      });
      writeAdminFile(out, file, force);
      if (ctx.globals.json) ctx.out(JSON.stringify({ file: out, db: store.name, bytes: file.length, ...counts }));
      else {
        ctx.out(`Backed up ${store.name} to ${out} (${file.length} bytes, mode 0600):`);
        for (const line of countLines(counts)) ctx.out(`  ${line}`);
        ctx.out('  and the key file');
      }
      ctx.warn(
        `${out} holds the key file and every secret: whoever has it and the passphrase can log in as anyone; keep it off this machine, and the passphrase apart from it`,
      );
      return 0;
    } finally {
      await store.close();
    }
  },
};

/** "users: 2" lines, the audit log's as "audit: not included" when it was left out. */
export function countLines(counts: BackupCounts): string[] {
  return Object.entries(counts).map(([what, n]) => `${what}: ${n === null ? 'not included' : n}`);
}
