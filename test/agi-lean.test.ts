// A classic AGI call starts a whole Node process: it must evaluate only what a
// call needs. The bundle holds the admin CLI, QR codes, the pbotp tools, the
// FastAGI server, the PostgreSQL driver, the voice prompts and the web
// server's loader besides; none of it may run on a SQLite call.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probedBundle, readProbe } from './helpers/module-probe.js';
import { Site, totp } from './helpers/site.js';

describe('a classic AGI call', () => {
  it('initialises no CLI, QR, pbotp flow, FastAGI, PostgreSQL or sound module, and never reads the embedded bytes once the addon is cached', async () => {
    const site = new Site();
    site.config({ timeout: 5 });
    site.enroll('1001', '4321');
    site.enroll('1002', '4321');
    const { path, allModules } = probedBundle();
    // The first call on a machine may have to write the addon's cached copy.
    const first = await site.call({ commandArgs: [path], inputs: ['1001', '4321', totp()] });
    expect(first.variables.ASTOTP).toBe('SUCCESS');

    // The same bundle without its payload comments (addon, sounds) still serves a call.
    const source = readFileSync(path, 'latin1');
    const cut = source.indexOf('\n/*astotp-payload ');
    expect(cut).toBeGreaterThan(0);
    writeFileSync(path, `${source.slice(0, cut)}\n`, 'latin1');
    const probe = join(site.astDir, 'probe.json');
    const r = await site.call({ commandArgs: [path], env: { ASTOTP_PROBE: probe }, inputs: ['1002', '4321', totp()] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');

    const loaded = Object.keys(readProbe(probe).modules);
    expect(loaded).toContain('src/call/run-call.ts');
    expect(loaded).toContain('src/agi/session.ts');
    const unwanted =
      /^(src\/cli\/|src\/fastagi\/|src\/sounds\/(install|embedded-sounds|archive|sound-set)\.ts|src\/call\/pbotp-flow\.ts|src\/pbotp\/(protocol|attempt|cli)|src\/responder\/|node_modules\/uqr\/|node_modules\/@noble\/hashes\/blake2|node_modules\/@scure\/bip39|node_modules\/pg|node_modules\/postgres-|src\/store\/postgres\/|src\/web\/|node_modules\/nodemailer\/|node_modules\/@xmldom\/|src\/config\/web-settings|src\/auth\/invitation)/;
    expect(loaded.filter((m) => unwanted.test(m))).toEqual([]);
    // The check above is only as good as the names: each family must exist in the bundle.
    for (const family of [
      'src/cli/main.ts',
      'src/fastagi/server.ts',
      'src/sounds/install.ts',
      'src/call/pbotp-flow.ts',
      'node_modules/uqr/dist/index.mjs',
      'node_modules/pg/lib/index.js',
      'src/store/postgres/pg-store.ts',
      'src/web/load-web.ts',
      'src/config/web-settings.ts',
      'src/auth/invitation-admin.ts',
    ]) {
      expect(allModules).toContain(family);
    }
  });
});
