// Asterisk starts an AGI script with its directories in AST_* variables,
// the dialplan's arguments as argv (key=value here) and the agi_ header on
// stdin. Anything that looks like a command word is the admin's CLI, except
// when Asterisk itself started us: then argv is the dialplan's, which may
// hold interpolated caller data, and must never pick a CLI command (a first
// argument of "unlock" must not run `astotp unlock`).

export function isAgiInvocation(argv: string[], env: NodeJS.ProcessEnv, stdinIsTty: boolean): boolean {
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
