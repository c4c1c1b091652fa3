// What a FastAGI connection asks for. Asterisk sends the part of
// agi://host[:port]/script?query after the host as agi_network_script (query
// included; it parses none of it), and the dialplan's own arguments,
// AGI(agi://host/otp,user=1001), as agi_arg_N just as for a local script.
import type { AgiEnvironment } from '../agi/env.js';

/** Script paths this server answers: agi://host/otp, or the agi-bin path of the classic script. */
export const SERVED_SCRIPTS: readonly string[] = ['otp', 'otp/astotp'];

export interface FastAgiRequest {
  /** The requested path without its query and surrounding slashes; null when none was sent. */
  script: string | null;
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
      served: false,
      args: info.args,
      problem: `no script path in the request (dialplan: AGI(agi://HOST/${SERVED_SCRIPTS[0]}))`,
    };
  }
  const q = raw.indexOf('?');
  const script = (q < 0 ? raw : raw.slice(0, q)).replace(/^\/+|\/+$/g, '');
  const query = q < 0 ? '' : raw.slice(q + 1);
  let queryArgs: string[];
  try {
    queryArgs = query
      .split('&')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
  } catch {
    return { script, served: false, args: info.args, problem: 'the query string of the request is not valid percent-encoding' };
  }
  const served = SERVED_SCRIPTS.includes(script);
  // The path is the admin's own dialplan text: safe to name, but cut short.
  const shown = script.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
  const problem = served ? null : `script path "${shown}" is not served here (use agi://HOST/${SERVED_SCRIPTS[0]})`;
  return { script, served, args: [...queryArgs, ...info.args], problem };
}
