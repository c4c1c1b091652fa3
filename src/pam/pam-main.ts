// The command line as pam_exec runs it. With `stdout` on the pam_exec line
// the child's stdout and stderr are the conversation with the person logging
// in, and an exit status of 0 grants the login. So under PAM_TYPE only the
// PAM steps run, they take key=value words and nothing else (an admin's
// `--help` on the line would print help and exit 0: a login for anyone), and
// every usage error goes to the admin's log alone and ends non-zero. Without
// PAM_TYPE an admin is trying a step on a shell: --help works there, and the
// step itself refuses to run (it needs PAM_TYPE=auth), saying why on stderr.
import { adminLog, useAdminLogDir } from './admin-log.js';
import { stateDirOnLine } from './parameters.js';
import type { PamStep, PamStepContext } from './step.js';
import { readStdinResponse } from './stdin-response.js';
import { terminalWidth, wrapText } from '../text/wrap.js';
import { errorMessage } from '../text/error-message.js';

const STEPS: Record<string, () => Promise<{ step: PamStep }>> = {
  'pam-challenge': () => import('./challenge-step.js'),
  'pam-verify': () => import('./verify-step.js'),
};

/** Exit status of a line that names no PAM step or carries options; anything non-zero fails the login. */
const PAM_USAGE_EXIT = 2;
const PAM_INTERNAL_EXIT = 1;

function loadStep(argv: readonly string[]): (() => Promise<{ step: PamStep }>) | undefined {
  const [group, name] = argv;
  return group === 'pbotp' && name !== undefined && Object.hasOwn(STEPS, name) ? STEPS[name] : undefined;
}

/** Runs the PAM step argv names (`pbotp pam-challenge ...`); returns the exit status. */
export async function pamMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const underPam = env.PAM_TYPE !== undefined;
  useAdminLogDir(stateDirOnLine(argv.slice(2)));
  // A PAM application that has closed the conversation's pipe: the exit
  // status still says what happened, and no stack trace may follow.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  try {
    return underPam ? await underPamExec(argv, env) : await onShell(argv, env);
  } catch (err) {
    const message = `internal error: ${errorMessage(err)}`;
    adminLog(message);
    if (!underPam) process.stderr.write(`astotp: ${message}\n`);
    return PAM_INTERNAL_EXIT;
  }
}

async function underPamExec(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const load = loadStep(argv);
  const rest = argv.slice(2);
  let step: PamStep;
  try {
    if (load === undefined) throw new Error(`only "pbotp pam-challenge" and "pbotp pam-verify" run under pam_exec`);
    // The steps take key=value words only; no option means anything here (-h neither).
    const option = rest.find((word) => word.startsWith('-'));
    if (option !== undefined) throw new Error(`unknown option ${option.split('=')[0]!.slice(0, 40)}`);
    step = (await load()).step;
  } catch (err) {
    const shown = argv
      .slice(0, 2)
      .join(' ')
      .replace(/[^\x21-\x7e ]/g, '?')
      .slice(0, 60);
    adminLog(`pam_exec line "${shown}${argv.length > 2 ? ' ...' : ''}": usage: ${errorMessage(err)} (astotp pbotp --help in a shell)`);
    return PAM_USAGE_EXIT;
  }
  return await step.run(context(rest, env));
}

/** An admin's shell: help, a usage error, or the step (which refuses without PAM_TYPE). */
async function onShell(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const load = loadStep(argv);
  const name = argv.slice(0, 2).join(' ');
  const usage = (message: string, hint: string) => {
    process.stderr.write(`astotp: ${printable(message)}\nRun 'astotp ${hint}' for usage.\n`);
    return PAM_USAGE_EXIT;
  };
  if (load === undefined) return usage(`unknown command "${name}"`, 'help pbotp');
  const rest = argv.slice(2);
  const end = rest.indexOf('--');
  const before = end < 0 ? rest : rest.slice(0, end);
  const options = before.filter((word) => word.startsWith('-') && word !== '-');
  const { step } = await load();
  if (options.some((word) => word === '--help' || word === '-h')) {
    // Wrapped like every help, but for the pam.d lines, which are copied into a file as they are.
    process.stdout.write(wrapText(step.help, terminalWidth(process.stdout), (line) => line.startsWith('auth ')));
    return 0;
  }
  if (options.length > 0) return usage(`unknown option ${options[0]!.split('=')[0]}`, `${name} --help`);
  const words = [...before, ...(end < 0 ? [] : rest.slice(end + 1))];
  return await step.run(context(words, env));
}

function context(words: readonly string[], env: NodeJS.ProcessEnv): PamStepContext {
  return {
    words,
    env,
    readResponse: (limit) => readStdinResponse(limit),
    out: (line) => process.stdout.write(`${line}\n`),
    note: (line) => process.stderr.write(`${printable(line)}\n`),
  };
}

/** Control characters made visible: a message may quote a path or a parameter. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}
