// Getting a backup's passphrase from the admin: from a file (for cron), or
// asked unseen on a terminal, twice for a new backup. Never from the command
// line, where every user of the machine sees it in the process list.
import { checkNewPassphrase, MIN_PASSPHRASE_CHARS } from '../auth/site-backup.js';
import { readPrivateAdminFile } from './admin-files.js';
import { type OptionSpec, type ParsedArgs, stringOption } from './args.js';
import { askTwice } from './ask-twice.js';
import type { CliContext } from './command.js';
import { CliFailure, UsageError } from './errors.js';

export const PASSPHRASE_OPTIONS: OptionSpec = { 'passphrase-file': 'string' };

export const PASSPHRASE_HELP = `  --passphrase-file FILE  read the passphrase from the first line of FILE (mode 0600
                          and owned by you or root, or a pipe such as bash's
                          <(command) or /dev/stdin; read as the user who runs
                          astotp); without it, it is asked on the terminal. It is
                          never taken from the command line.`;

const LIMIT = 4096;

/** The passphrase; `fresh` for a new backup: asked twice and held to MIN_PASSPHRASE_CHARS. */
export async function readPassphrase(ctx: CliContext, args: ParsedArgs, fresh: boolean): Promise<string> {
  const file = stringOption(args, 'passphrase-file');
  if (file !== undefined) {
    // A Windows editor's byte order mark is no part of what the admin typed.
    const first = readPrivateAdminFile(file, LIMIT)
      .replace(/^\uFEFF/, '')
      .split('\n')[0]!
      .replace(/\r$/, '');
    if (first === '') throw new CliFailure(`${file} holds no passphrase on its first line`);
    if (fresh) checkNewPassphrase(first);
    return first;
  }
  const { input } = ctx;
  if (!input.isTTY) throw new UsageError('no terminal to ask the passphrase on: give --passphrase-file FILE (never the passphrase itself)');
  if (!fresh) {
    const typed = await input.hidden('Passphrase: ', process.stderr);
    if (typed === null || typed === '') throw new CliFailure('no passphrase was given');
    return typed;
  }
  return askTwice(ctx, {
    question: `New passphrase (at least ${MIN_PASSPHRASE_CHARS} characters): `,
    repeat: 'Repeat the passphrase: ',
    check: checkNewPassphrase,
    plural: 'passphrases',
    none: 'no passphrase was set; nothing was written',
  });
}
