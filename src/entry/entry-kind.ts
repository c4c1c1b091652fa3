// Asterisk starts an AGI script with its directories in AST_* variables,
// the dialplan's arguments as argv (key=value here) and the agi_ header on
// stdin. Anything that looks like a command word is the admin's CLI, except
// when Asterisk itself started us: then argv is the dialplan's, which may
// hold interpolated caller data, and must never pick a CLI command (a first
// argument of "unlock" must not run `astotp unlock`).

/** Which of astotp's entry points a start is. */
export type EntryKind = 'agi' | 'pam' | 'cli';

/** pam_exec started us (it always sets PAM_TYPE), or argv names a PAM step. */
function isPamInvocation(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return env.PAM_TYPE !== undefined || (argv[0] === 'pbotp' && argv[1]?.startsWith('pam-') === true);
}

function isAgiInvocation(argv: readonly string[], env: NodeJS.ProcessEnv, stdinIsTty: boolean): boolean {
  const first = argv[0];
  if (first === 'agi') return true;
  // AST_AGI_DIR is set only by Asterisk for the scripts it runs; an admin's
  // shell at a terminal has a TTY on stdin.
  if (env.AST_AGI_DIR && !stdinIsTty) return true;
  if (first !== undefined && (first.startsWith('-') || !first.includes('='))) return false;
  if (env.AST_AGI_DIR || env.AST_CONFIG_DIR) return true;
  // No command word and a pipe on stdin: someone (Asterisk without its
  // environment, a test harness) is about to send an agi_ header.
  return !stdinIsTty && argv.length > 0;
}

export function entryKindOf(argv: readonly string[], env: NodeJS.ProcessEnv, stdinIsTty: boolean): EntryKind {
  // PAM is checked before the AST_* variables, because the two mistakes are
  // not alike. pam_exec passes the PAM environment (pam_env.so, other
  // modules) before its own items, so AST_AGI_DIR there would turn a PAM step
  // into an AGI script that any agi_ header on stdin satisfies: a login
  // granted. A dialplan's argv is key=value words, never "pbotp pam-*", and
  // PAM_TYPE reaches an AGI script only if someone sets it in Asterisk's own
  // environment; then the PAM entry refuses (it runs nothing but the PAM
  // steps under PAM_TYPE), ASTOTP stays unset and the call fails: closed.
  // Nor does PAM_TYPE ever reach the CLI: an admin's command on a pam_exec
  // line (`--help` prints and exits 0) would grant a login.
  if (isPamInvocation(argv, env)) return 'pam';
  return isAgiInvocation(argv, env, stdinIsTty) ? 'agi' : 'cli';
}
