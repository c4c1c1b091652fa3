// Asterisk starts an AGI script with its directories in AST_* variables,
// the dialplan's arguments as argv (key=value here) and the agi_ header on
// stdin. Anything that looks like a command word is the admin's CLI.

export function isAgiInvocation(argv: string[], env: NodeJS.ProcessEnv, stdinIsTty: boolean): boolean {
  const first = argv[0];
  if (first === 'agi') return true;
  if (first !== undefined && (first.startsWith('-') || !first.includes('='))) return false;
  if (env.AST_AGI_DIR || env.AST_CONFIG_DIR) return true;
  // No command word and a pipe on stdin: someone (Asterisk without its
  // environment, a test harness) is about to send an agi_ header.
  return !stdinIsTty && argv.length > 0;
}
