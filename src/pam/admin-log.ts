// Messages for the admin from the PAM steps. pam_exec shows a child's stdout
// and stderr to the person logging in, so nothing for the admin may go
// there: it goes to syslog (authpriv, where sshd and su log) through
// logger, named by its absolute path because pam_exec gives no PATH.
import { spawnSync } from 'node:child_process';

const LOGGER = '/usr/bin/logger';

/** One line to authpriv.notice as astotp-pam; never a response, code or key. */
export function adminLog(message: string): void {
  // logger's own complaints (no syslog daemon) must not reach the screen either.
  spawnSync(LOGGER, ['-t', 'astotp-pam', '-p', 'authpriv.notice', '--', message.replace(/\s+/g, ' ')], { stdio: 'ignore', timeout: 5000 });
}
