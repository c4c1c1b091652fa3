// Entry point of dist/astotp: the same file is the AGI script Asterisk runs
// and the admin's command-line tool. Only the code a mode needs is loaded.
import { isAgiInvocation } from './modes/detect-mode.js';

const argv = process.argv.slice(2);

if (isAgiInvocation(argv, process.env, Boolean(process.stdin.isTTY))) {
  void import('./modes/agi-main.js').then((m) => m.agiMain(argv));
} else {
  void import('./cli/main.js')
    .then((m) => m.cliMain(argv))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: unknown) => {
        process.stderr.write(`astotp: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
        if (process.env.ASTOTP_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
        process.exitCode = 1;
      },
    );
}
