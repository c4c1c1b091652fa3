// astotp pbotp pam-verify: the second pam_exec step (expose_authtok). It
// takes the nonce the challenge step left for this login, deletes it, and
// exits 0 only if the response on stdin is right for it.
import { loginData } from '../pbotp/login.js';
import { verifyCode, verifyPhrase } from '../pbotp/encode.js';
import { challengeFromNonce, computeResponse } from '../pbotp/protocol.js';
import { adminLog } from './admin-log.js';
import { STATE_MAX_AGE_SECONDS, takeState } from './challenge-state.js';
import { PAM_EXIT_FAILURE, pamStep } from './run-step.js';
import { PAM_HELP_PARAMS, PAM_STACK_HELP } from './step-help.js';
import type { PamStep } from './step.js';

/** PAM_MAX_RESP_SIZE is 512; pam_exec sends the token without a newline or NUL. */
const MAX_RESPONSE_BYTES = 1024;

export const step: PamStep = {
  help: `Usage: astotp pbotp pam-verify [key=value]...   (run by pam_exec)

The second pbotp step of a PAM stack (see README, "pbotp for PAM logins"):
reads the response (code or phrase) that pam_exec passes on stdin, checks it
once against the challenge pam-challenge made for this login, deletes that
challenge, and exits 0 only if the response is right.

${PAM_STACK_HELP}
${PAM_HELP_PARAMS}`,

  run: (ctx) =>
    pamStep(ctx, 'pam-verify', async ({ params, login, stateDir, key, describe }) => {
      // Taken before anything else can fail: one check per challenge, whatever arrives on stdin.
      const state = takeState(stateDir, key);
      const typed = await ctx.readResponse(MAX_RESPONSE_BYTES);
      const refuse = (why: string) => {
        adminLog(`pam-verify: ${describe}: refused: ${why}`);
        return PAM_EXIT_FAILURE;
      };
      if (state === null) return refuse('no challenge waiting for this login (pam-challenge did not run before, or it was used already)');
      const age = Math.floor(Date.now() / 1000) - state.created;
      if (age > STATE_MAX_AGE_SECONDS || age < -60) return refuse(`challenge is ${age} s old (at most ${STATE_MAX_AGE_SECONDS} s)`);
      const same = state.login.group === login.group && state.login.host === login.host && state.login.user === login.user;
      if (!same) return refuse(`challenge was made for ${state.login.group}/${state.login.host}/${state.login.user}`);
      if (typed.trim() === '') return refuse('empty response (is expose_authtok on the pam_exec line?)');

      const { dh } = challengeFromNonce(state.nonce, params.pubkey);
      state.nonce.fill(0);
      const response = computeResponse(dh, loginData(login));
      dh.fill(0);
      const mode = params.mode;
      // As pam_pbotp: a phrase may go on past the words asked for, so the
      // whole phrase from the responder is always accepted.
      const ok =
        mode.kind === 'code'
          ? verifyCode(response, typed, mode.digits)
          : verifyPhrase(response, typed.trim().split(/\s+/u).slice(0, mode.words).join(' '), mode.words);
      response.fill(0);
      if (!ok) return refuse(`wrong ${mode.kind}`);
      adminLog(`pam-verify: ${describe}: accepted for ${login.group}/${login.host}/${login.user}`);
      return 0;
    }),
};
