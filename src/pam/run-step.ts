// What both PAM steps do first: read the parameters and find the login that
// pam_exec's environment names. Every failure becomes a syslog line and a
// PAM failure, never text on the screen of the person logging in.
import { checkLoginField, type LoginFields } from '../pbotp/login.js';
import { adminLog } from './admin-log.js';
import { openStateDir, stateKey, sweepStale } from './challenge-state.js';
import { checkPamEnviron } from './environ-check.js';
import { readPamParams, type PamParams } from './parameters.js';
import type { PamStepContext } from './step.js';
import { errorMessage } from '../text/error-message.js';

export interface PamLogin {
  params: PamParams;
  login: LoginFields;
  /** The state directory, checked and made the working directory ("."), with stale states swept. */
  stateDir: string;
  /** This login's state file name. */
  key: string;
  /** "service=su user=root tty=... rhost=..." for syslog lines. */
  describe: string;
}

export const PAM_EXIT_FAILURE = 1;

function describeEnv(env: NodeJS.ProcessEnv): string {
  const field = (k: string) => (env[k] ?? '').replace(/[^\x21-\x7e]/g, '?').slice(0, 64);
  return `service=${field('PAM_SERVICE')} user=${field('PAM_USER')} tty=${field('PAM_TTY')} rhost=${field('PAM_RHOST')}`;
}

/** Runs one PAM step; anything thrown is logged for the admin and fails the login. */
export async function pamStep(ctx: PamStepContext, step: string, body: (pam: PamLogin) => Promise<number>): Promise<number> {
  const describe = describeEnv(ctx.env);
  try {
    checkPamEnviron();
    if (ctx.env.PAM_TYPE !== 'auth')
      throw new Error(`must run as a pam_exec auth step (PAM_TYPE is ${JSON.stringify(ctx.env.PAM_TYPE ?? '')})`);
    const params = readPamParams(ctx.words);
    const user = ctx.env.PAM_USER ?? '';
    checkLoginField('user', user);
    const stateDir = openStateDir(params.stateDir);
    sweepStale(stateDir);
    const login = { group: params.group, host: params.host, user };
    return await body({ params, login, stateDir, key: stateKey(ctx.env), describe });
  } catch (err) {
    const message = `${step}: ${describe}: failed: ${errorMessage(err)}`;
    adminLog(message);
    // Not started by pam_exec (an admin trying it on a shell): stderr reaches no one logging in.
    if (ctx.env.PAM_TYPE === undefined) ctx.note(`astotp: ${message}`);
    return PAM_EXIT_FAILURE;
  }
}
