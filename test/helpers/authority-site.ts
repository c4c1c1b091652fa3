// A pbotp authority as a site runs it: its own database (init --authority),
// approvers enrolled with the test secret and given rights by astotp role,
// the private key of the protocol's test vector, and `astotp pbotp serve`
// from the built bundle on a free port of 127.0.0.1 (web-server.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliSite } from './cli-site.js';
import { AUTHORITY_PRIV } from './pbotp-authority.js';
import { WebServer } from './web-server.js';

export const APPROVER_PIN = '4321';

export class AuthoritySite extends CliSite {
  readonly privateKeyFile = join(this.varDir, 'authority.key');

  constructor() {
    super();
    // window = 4: a test types codes of several steps in a row, each newer than the last.
    this.config({ timeout: 5, window: 4 });
    const init = this.cli(['init', '--authority']);
    if (init.status !== 0) throw new Error(`init --authority: ${init.stderr}`);
    writeFileSync(this.privateKeyFile, `${AUTHORITY_PRIV}\n`, { mode: 0o600 });
  }

  /** An enrolled user with the approver role for `groups` (and `hosts`), or none when groups is null. */
  approver(user: string, groups: string | null, hosts?: string): void {
    this.enroll(user, APPROVER_PIN, undefined, ['--allow-untypable']);
    if (groups === null) return;
    const r = this.cli(['role', user, 'approver', '--groups', groups, ...(hosts ? ['--hosts', hosts] : [])]);
    if (r.status !== 0) throw new Error(`role ${user}: ${r.stderr}`);
  }
}

/** pbotp serve on the site's database, with its private key. */
export function startAuthority(site: AuthoritySite, args: string[] = []): Promise<WebServer> {
  return WebServer.start(site.env, args, ['pbotp', 'serve', '--key', site.privateKeyFile]);
}
