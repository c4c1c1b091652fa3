// The command line as pam_exec runs it. With `stdout` on the pam_exec line
// the child's stdout and stderr are the conversation with the person logging
// in, and an exit status of 0 grants the login. So under PAM_TYPE only the
// PAM steps run, they take key=value words and nothing else (an admin's
// `--help` on the line would print help and exit 0: a login for anyone), and
// every usage error goes to syslog alone and ends non-zero.
import type { Command } from './command.js';
import { syslog } from './commands/pbotp/pam-syslog.js';

const STEPS: Record<string, () => Promise<{ command: Command }>> = {
  'pam-challenge': () => import('./commands/pbotp/pam-challenge.js'),
  'pam-verify': () => import('./commands/pbotp/pam-verify.js'),
};

/** Exit status of a line that names no PAM step or carries options; anything non-zero fails the login. */
const PAM_USAGE_EXIT = 2;

/** Runs the PAM step argv names through `run` (which gives it a context); the step logs its own failures. */
export async function pamMain(argv: string[], run: (command: Command, positionals: string[]) => Promise<number>): Promise<number> {
  const [group, step, ...rest] = argv;
  const load = group === 'pbotp' && step !== undefined && Object.hasOwn(STEPS, step) ? STEPS[step] : undefined;
  let command: Command;
  let positionals: string[];
  try {
    if (load === undefined) throw new Error(`only "pbotp pam-challenge" and "pbotp pam-verify" run under pam_exec`);
    // The steps take key=value words only; no option means anything here (-h neither).
    const option = rest.find((word) => word.startsWith('-'));
    if (option !== undefined) throw new Error(`unknown option ${option.split('=')[0]!.slice(0, 40)}`);
    positionals = rest;
    command = (await load()).command;
  } catch (err) {
    const shown = argv
      .slice(0, 2)
      .join(' ')
      .replace(/[^\x21-\x7e ]/g, '?')
      .slice(0, 60);
    syslog(
      `pam_exec line "${shown}${argv.length > 2 ? ' ...' : ''}": usage: ${err instanceof Error ? err.message : String(err)} (astotp pbotp --help in a shell)`,
    );
    return PAM_USAGE_EXIT;
  }
  return await run(command, positionals);
}
