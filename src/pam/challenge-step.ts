// astotp pbotp pam-challenge: the first of the two pam_exec steps. It makes
// a fresh challenge for PAM_USER on this host, leaves its nonce for the
// verify step and shows the URL and QR code through pam_exec's stdout. It
// always exits non-zero, so whatever control flag it is listed with, it can
// never be the step that lets someone in.
import { randomBytes } from 'node:crypto';
import { KEY_BYTES } from '../pbotp/keys.js';
import { challengeFromNonce } from '../pbotp/protocol.js';
import { buildChallengeUrl } from '../pbotp/url.js';
import { renderQr } from '../qr/terminal.js';
import { adminLog } from './admin-log.js';
import { saveState } from './challenge-state.js';
import { PAM_EXIT_FAILURE, pamStep } from './run-step.js';
import { PAM_HELP_PARAMS, PAM_STACK_HELP } from './step-help.js';
import type { PamStep } from './step.js';

export const step: PamStep = {
  help: `Usage: astotp pbotp pam-challenge [key=value]...   (run by pam_exec)

The first pbotp step of a PAM stack (see README, "pbotp for PAM logins"): makes
a challenge for PAM_USER, shows its URL and QR code, and leaves the nonce for
pam-verify. Always exits 1, so it can never grant a login by itself.

${PAM_STACK_HELP}
${PAM_HELP_PARAMS}`,

  run: (ctx) =>
    pamStep(ctx, 'pam-challenge', async ({ params, login, stateDir, key, describe }) => {
      const nonce = new Uint8Array(randomBytes(KEY_BYTES));
      const { challenge, dh } = challengeFromNonce(nonce, params.pubkey);
      dh.fill(0);
      const url = buildChallengeUrl(params.baseUrl, login, challenge);
      saveState(stateDir, key, { created: Math.floor(Date.now() / 1000), nonce, login });
      nonce.fill(0);
      const picture = renderQr(url, params.qr);
      const lines = picture === '' ? [] : ['Scan this QR code to get a login token:', ...picture.split('\n'), 'Or go to this URL:'];
      lines.push(picture === '' ? `Go to this URL to get a login token: ${url}` : url);
      lines.push(
        `Then enter the ${params.mode.kind === 'code' ? `${params.mode.digits}-digit code` : `${params.mode.words}-word phrase`} at the "Password: " prompt.`,
      );
      ctx.out(lines.join('\n'));
      adminLog(`pam-challenge: ${describe}: challenge for ${login.group}/${login.host}/${login.user}`);
      return PAM_EXIT_FAILURE;
    }),
};
