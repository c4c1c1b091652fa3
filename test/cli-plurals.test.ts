// One of a thing is said in the singular: "1 user", never "1 users",
// wherever the admin tools count something, through the built bundle.
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { AgiServer } from './helpers/serve-agi.js';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { wrongCode } from './helpers/site.js';
import { tempDir } from './helpers/temp.js';
import { PROMPT_NAMES, SOUND_FORMATS } from '../src/sounds/prompts.js';

describe('counts of one', () => {
  it('export, list, doctor and install-sounds say 1 user, 1 failure, 1 line, 1 file', () => {
    const site = new CliSite();
    site.config({ lockout_failures: 1 });
    site.enroll('1001', '4321');
    const out = join(tempDir('astotp-export-'), 'users.csv');
    const exported = site.cli(['export', '--reveal-secret', '--out', out]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stderr).toContain('the export holds the TOTP secrets of 1 user in plain text');
    expect(exported.stderr).toContain(`Exported 1 user to ${out} (mode 0600).`);
    expect(site.cli(['log', '--admin']).stdout).toMatch(/export \(secrets of 1 user revealed to /);

    expect(site.cli(['verify', '1001', wrongCode()]).stdout).toBe('FAILURE (bad-credentials)\n');
    expect(site.cli(['list']).stdout).toMatch(/ \(after 1 failure\) /);

    expect(site.cli(['install-sounds', '--lang', 'en']).status).toBe(0);
    unlinkSync(join(site.soundsDir, 'astotp-group.wav'));
    expect(site.cli(['install-sounds', '--lang', 'en']).stdout).toBe(
      `en: installed 1 prompt file in ${site.soundsDir}; kept ${PROMPT_NAMES.length * SOUND_FORMATS.length - 1} that were there (--overwrite replaces them).\n`,
    );

    writeFileSync(join(site.confDir, 'extensions.conf'), 'exten => 1,1,AGI(otp/astotp)\n');
    expect(site.cli(['doctor']).stdout).toMatch(/^PASS {2}dialplan: 1 line runs astotp in 1 file, /m);
  });

  it('serve-agi says 1 call', async () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const server = await AgiServer.start(site.env, ['--max-sessions', '1']);
    const r = await fastAgiCall({ port: server.port, inputs: [{ hangup: 'eof' }] });
    expect(r.variables.ASTOTP).toBe('FAILURE');
    await server.stop('SIGTERM');
    expect(server.log).toMatch(/listening on .* \(at most 1 call at once[ ;]/);
    expect(server.log).toMatch(/served 1 call; 0 transactions run again after conflicts\n/);
  });
});
