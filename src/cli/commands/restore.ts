// astotp restore FILE: a backup back into the configured database and key
// file; what it may and may not reopen is auth/site-backup.ts's to decide.
import { shownTime, systemClock } from '../../auth/clock.js';
import { MAX_SCRYPT, readBackupHeader, restoreSite } from '../../auth/site-backup.js';
import { readAdminBytes } from '../admin-files.js';
import { expectPositionals, flagOption } from '../args.js';
import type { Command } from '../command.js';
import { counted } from '../format.js';
import { becomeDatabaseOwner, loginActor, settingsOf } from '../open.js';
import { PASSPHRASE_HELP, PASSPHRASE_OPTIONS, readPassphrase } from '../passphrase.js';
import { tooManyDigits } from '../doctor/files.js';
import { countLines } from './backup.js';

/** Buffers hold at most this much on Node 20; a site's backup is far smaller. */
const MAX_BACKUP_BYTES = 2 * 1024 ** 3;

export const command: Command = {
  help: `Usage: astotp restore FILE [--passphrase-file FILE] [--force]

Reads a backup made by astotp backup into the configured database (db in
astotp.conf, --db or ASTOTP_DB: SQLite or PostgreSQL, created if missing) in
one transaction, all rows or none, and writes the key it carries to the key
file (created with mode 0600 if missing, written atomically). The database
must hold nothing yet and the key file must be missing or hold the backup's
key: --force replaces what the database holds, its audit log included (the
restore says how many rows it deleted; make a backup --with-audit of the
target first if its log matters), and a different key file.
The whole file is checked before anything is written: a wrong passphrase,
a truncated or altered file, or a backup of a newer astotp is refused with
nothing written; so is a header asking scrypt for more than ${MAX_SCRYPT.memory / 1024 ** 2} MiB
(128 * N * r) or for p above ${MAX_SCRYPT.p}, which no astotp writes, before the
passphrase is asked for.

A restore reopens no TOTP code used since the backup: TOTP replay marks
move to the step \`window\` steps after now (the token's drift included), so
for up to (window + 1) x period seconds after a restore no TOTP code is
taken. A clock behind the backup's time is warned of, and the backup's time
taken for now. HOTP counters move on by hotp_window: the codes of the first
hotp_window presses since the backup stay refused as used, and a fob pressed
fewer times must be pressed until it catches up (or astotp token resync).
A fob pressed more than hotp_window times since the backup may have codes
that open again (those of the presses after the first hotp_window) until its
next login moves past them: have fob users log in soon after a restore.
PINs and recovery codes are those of the backup's time: a PIN changed or a
recovery code used since then works again; give new ones where that
matters (astotp set-pin, astotp recovery). Prints what it brought back, and
warns of tokens no call can take here: codes longer than digits in this
astotp.conf (a backup of a site with digits = 8). The restore is recorded in
the audit log (astotp log --admin).

Options:
${PASSPHRASE_HELP}
  --force                 replace what the database holds (its audit log too), and
                          a key file that is not the backup's
`,
  options: { force: 'boolean', ...PASSPHRASE_OPTIONS },

  async run(ctx) {
    const [name] = expectPositionals(ctx.args, ['file']) as [string];
    const file = readAdminBytes(name, MAX_BACKUP_BYTES);
    // Not a backup, a newer format, cut short: said before a passphrase is asked for.
    readBackupHeader(file, name);
    const passphrase = await readPassphrase(ctx, ctx.args, false);
    const settings = settingsOf(ctx);
    becomeDatabaseOwner(ctx, settings);
    const r = await restoreSite(settings, file, settings, {
      passphrase,
      name,
      force: flagOption(ctx.args, 'force'),
      actor: loginActor,
      place: { pbx: settings.pbxName, now: systemClock },
    });
    const made = `made ${shownTime(r.made_at)} on ${r.made_on}`;
    const { tokens, ...report } = r;
    if (ctx.globals.json) ctx.out(JSON.stringify({ file: name, ...report }));
    else {
      ctx.out(`Restored ${name} (${made}) into ${r.db}:`);
      for (const line of countLines(r.counts)) ctx.out(`  ${line}`);
      ctx.out('  and 1 audit row recording this restore');
      if (r.deleted_audit > 0)
        ctx.out(
          `Deleted: the ${counted(r.deleted_audit, 'audit row')} the database held before (its own log; --force keeps only the backup's${r.counts.audit === null ? ', and this backup has none' : ''}).`,
        );
      ctx.out(`Key file ${settings.keyFile}: ${r.key_file === 'kept' ? "kept (it holds the backup's key)" : r.key_file}.`);
      ctx.out(
        `Moved forward: ${counted(r.moved.hotp, 'HOTP counter')} by hotp_window ${settings.hotpWindow}, ${counted(r.moved.totp, 'TOTP replay mark')} to ${counted(settings.window, 'step')} after now.`,
      );
    }
    ctx.warn(
      `PINs and recovery codes are those of the backup's time (${made}): a PIN changed or a recovery code used since then works again; give new ones where that matters (astotp set-pin, astotp recovery)`,
    );
    if (r.clock_behind > 0)
      ctx.warn(
        `this machine's clock is ${r.clock_behind} s behind the time the backup was made (${made}): TOTP replay marks were set from the backup's time instead; set the clock right (NTP) before calls come in`,
      );
    if (r.moved.hotp > 0)
      ctx.warn(
        `${counted(r.moved.hotp, 'HOTP fob')} came back: a fob pressed more than hotp_window (${settings.hotpWindow}) times since the backup (${made}) may have codes that open again until its next login; have fob users log in now`,
      );
    // The backup's tokens were enrolled under its site's settings, which need not be these.
    const unusable = tooManyDigits(tokens, settings.digits);
    if (unusable !== null) ctx.warn(unusable);
    if (r.pending_invitations > 0)
      ctx.warn(
        `${counted(r.pending_invitations, 'invitation')} came back pending: revoke any used since the backup (astotp invites --revoke)`,
      );
    return 0;
  },
};
