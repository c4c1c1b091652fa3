// Where Asterisk keeps things. Asterisk passes its directories to AGI scripts
// as AST_* variables; on the shell we fall back to Debian's and upstream's defaults.
import { dirname, join } from 'node:path';

type Env = NodeJS.ProcessEnv;

export function asteriskVarDir(env: Env = process.env): string {
  return env.AST_VAR_DIR || '/var/lib/asterisk';
}

/** Where Asterisk keeps its pid file and control socket. */
export function asteriskRunDir(env: Env = process.env): string {
  return env.AST_RUN_DIR || '/var/run/asterisk';
}

export function configPath(env: Env = process.env): string {
  return env.ASTOTP_CONF || join(env.AST_CONFIG_DIR || '/etc/asterisk', 'astotp.conf');
}

/** Where Asterisk's own configuration (extensions.conf) is: next to astotp.conf unless Asterisk says otherwise. */
export function asteriskConfigDir(env: Env = process.env): string {
  return env.AST_CONFIG_DIR || dirname(configPath(env));
}

export function defaultDbPath(env: Env = process.env): string {
  return join(asteriskVarDir(env), 'astotp.sqlite3');
}

export function defaultKeyPath(dbPath: string): string {
  return join(dirname(dbPath), 'astotp.key');
}
