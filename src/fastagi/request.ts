// What a FastAGI connection asks for. Asterisk sends the part of
// agi://host[:port]/script?query after the host as agi_network_script (query
// included; it parses none of it), and the dialplan's own arguments,
// AGI(agi://host/otp,user=1001), as agi_arg_N just as for a local script.
// A path segment after the script is the server's secret (pbx-secret.ts):
// it is taken apart here and never shown anywhere.
import type { AgiEnvironment } from '../agi/env.js';

/** Script paths this server answers: agi://host/otp, or the agi-bin path of the classic script. */
const SERVED_SCRIPTS: readonly string[] = ['otp', 'otp/astotp'];

export interface FastAgiRequest {
  /** The requested path without its query, its secret and surrounding slashes; null when none was sent. */
  script: string | null;
  /** What follows a served script's name in the path, /otp/SECRET; null when nothing does. Never to be shown. */
  secret: string | null;
  served: boolean;
  /** key=value pairs from the query string, then the dialplan arguments: the later wins. */
  args: string[];
  /** Why the request cannot be understood, for the admin; the call then fails. */
  problem: string | null;
}

export function readRequest(info: AgiEnvironment): FastAgiRequest {
  const raw = info.env.agi_network_script;
  if (raw === undefined) {
    return {
      script: null,
      secret: null,
      served: false,
      args: info.args,
      problem: `no script path in the request (dialplan: AGI(agi://HOST/${SERVED_SCRIPTS[0]}))`,
    };
  }
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/^\/+|\/+$/g, '');
  const query = q < 0 ? '' : raw.slice(q + 1);
  const { script, secret } = splitSecret(path);
  let queryArgs: string[];
  try {
    queryArgs = query
      .split('&')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
  } catch {
    return { script, secret, served: false, args: info.args, problem: 'the query string of the request is not valid percent-encoding' };
  }
  const served = SERVED_SCRIPTS.includes(script);
  // The path is the admin's own dialplan text: safe to name, but cut short.
  const shown = script.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
  const problem = served ? null : `script path "${shown}" is not served here (use agi://HOST/${SERVED_SCRIPTS[0]})`;
  return { script, secret, served, args: [...queryArgs, ...info.args], problem };
}

/** otp/SECRET and otp/astotp/SECRET: the served script, and what follows it; any other path is one script. */
function splitSecret(path: string): { script: string; secret: string | null } {
  if (SERVED_SCRIPTS.includes(path)) return { script: path, secret: null };
  for (const served of [...SERVED_SCRIPTS].sort((a, b) => b.length - a.length)) {
    if (path.startsWith(`${served}/`)) return { script: served, secret: path.slice(served.length + 1) };
  }
  // A path not below a served script is shown in the error; one below it never is.
  return { script: path, secret: null };
}
