// pam_exec builds its child's environment from the PAM environment
// (pam_getenvlist: whatever pam_env.so or another module put there) followed
// by its own PAM_USER, PAM_SERVICE, ... items. So the PAM environment can
// shadow the real items (Node's process.env keeps the first of two equal
// names) and carry variables meant for other programs. Both steps refuse to
// work in such an environment. process.env has lost the duplicates already:
// the kernel's copy in /proc/self/environ still has them.
//
// For NODE_OPTIONS (--require) and its kin this is detection after the fact:
// Node has acted on them before any of our code runs. It turns a silent
// compromise into a refused login and a syslog line; the protection is a
// clean PAM environment and the pam_exec line of the README, which starts
// node through `env -u NODE_OPTIONS -u NODE_PATH`.
import { readFileSync } from 'node:fs';
import { PamConfigError } from './errors.js';

/** Why this environment is refused, or null; names only, never values. */
function environProblem(environ: string): string | null {
  const names = environ
    .split('\0')
    .filter((entry) => entry !== '')
    .map((entry) => (entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : entry));
  const twice = names.filter((name, i) => name.startsWith('PAM_') && names.indexOf(name) !== i);
  if (twice.length > 0) return `${[...new Set(twice)].join(', ')} set twice (the PAM environment shadows pam_exec's own items)`;
  const foreign = names.filter((name) => name.startsWith('AST_') || name.startsWith('NODE_'));
  if (foreign.length > 0)
    return `${[...new Set(foreign)].join(', ')} in the environment (set by the PAM environment, e.g. pam_env.so; keep it clean)`;
  return null;
}

/** Refuses an environment another PAM module has tampered with. */
export function checkPamEnviron(path = '/proc/self/environ'): void {
  const problem = environProblem(readFileSync(path, 'latin1'));
  if (problem !== null) throw new PamConfigError(`refused environment: ${problem.replace(/[^\x20-\x7e]/g, '?').slice(0, 300)}`);
}
