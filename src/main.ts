// Entry point of dist/astotp: the same file is the AGI script Asterisk runs,
// the two PAM steps pam_exec runs, and the admin's command-line tool. Only
// the code an entry point needs is loaded.
import { entryKindOf } from './entry/entry-kind.js';
import { errorMessage } from './text/error-message.js';

const argv = process.argv.slice(2);

const setExitCode = (code: number) => {
  process.exitCode = code;
};

switch (entryKindOf(argv, process.env, Boolean(process.stdin.isTTY))) {
  case 'agi':
    void import('./entry/agi-main.js').then((m) => m.agiMain(argv));
    break;
  case 'pam':
    // pamMain reports its own failures, never on stdout or stderr under pam_exec.
    void import('./pam/pam-main.js').then((m) => m.pamMain(argv)).then(setExitCode);
    break;
  case 'cli':
    void import('./cli/main.js')
      .then((m) => m.cliMain(argv))
      .then(setExitCode, (err: unknown) => {
        process.stderr.write(`astotp: internal error: ${errorMessage(err)}\n`);
        if (process.env.ASTOTP_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
        process.exitCode = 1;
      });
    break;
}
