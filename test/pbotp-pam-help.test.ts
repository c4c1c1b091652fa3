// The PAM steps' --help shows the pam_exec lines of README's stacks, as
// README prints them: an admin who copies either gets the same stack (node
// started through env -u NODE_OPTIONS -u NODE_PATH, --no-warnings, quiet).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { readmeStack } from './helpers/pam-stack.js';

const help = (step: string): string => {
  const r = spawnSync(process.execPath, [BUNDLE_PATH, 'pbotp', step, '--help'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};
const auth = (text: string) => text.split('\n').filter((line) => line.startsWith('auth '));
/** The lines that run a step, with runs of spaces as one (the su stack aligns its columns wider). */
const execLines = (lines: string[]) => lines.filter((line) => line.includes('pam_exec.so')).map((line) => line.replace(/ +/g, ' '));

describe('astotp pbotp pam-challenge --help and pam-verify --help', () => {
  for (const step of ['pam-challenge', 'pam-verify']) {
    it(`${step}: the README's sshd stack as printed, and the su stack's pam_exec lines`, () => {
      const shown = auth(help(step));
      expect(shown).toEqual(readmeStack('sshd'));
      expect(execLines(shown)).toEqual(execLines(readmeStack('su')));
      expect(execLines(shown)).toHaveLength(2);
    });
  }
});
