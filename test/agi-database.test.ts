// A call must fail closed, with a reason and a sentence an admin can act on,
// whatever state the database is in.
import { chmodSync, copyFileSync, readFileSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { Site, totp } from './helpers/site.js';
import { tempDir } from './helpers/temp.js';

const isRoot = process.geteuid?.() === 0;
const NOBODY = 65534;

describe('a call when the database is not usable', () => {
  it('fails with reason error when there is no database, and asks nothing', async () => {
    const site = new Site();
    const r = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toContain(`database ${site.db} does not exist`);
    expect(r.prompts).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it('fails with reason error when the database is not writable by the Asterisk user', async () => {
    const site = new Site();
    site.enroll('1001', '4321');
    // Root may write anything, so the call runs as another user, as Asterisk does.
    chmodSync(site.astDir, 0o755);
    for (const f of [site.db, site.keyFile]) chmodSync(f, 0o600);
    if (isRoot) chownSync(site.keyFile, NOBODY, NOBODY);
    else chmodSync(site.db, 0o400);
    // nobody's cache of the addon in a directory of this test, not left behind in the shared temp dir.
    const cache = tempDir('astotp-cache-');
    if (isRoot) chownSync(cache, NOBODY, NOBODY);
    const r = await site.call({
      inputs: ['1001', '4321', totp()],
      env: { ASTOTP_CACHE_DIR: cache },
      ...(isRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(/not readable and writable/);
  });

  it('fails with reason error when the database is corrupt', async () => {
    const site = new Site();
    site.enroll('1001', '4321');
    writeFileSync(site.db, Buffer.alloc(8192, 0x5a));
    const r = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(/corrupt or not a database/);
  });

  it('fails with reason error when the key file does not belong to the database', async () => {
    const site = new Site();
    site.enroll('1001', '4321');
    const other = new Site();
    other.enroll('1001', '4321');
    copyFileSync(other.keyFile, site.keyFile);
    const r = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(/not the one database/);
  });

  it('works as one file copied alone into an agi-bin directory', async () => {
    const site = new Site();
    site.enroll('1001', '4321');
    const agiBin = tempDir('agi-bin-');
    const copy = join(agiBin, 'astotp');
    copyFileSync(BUNDLE_PATH, copy);
    chmodSync(copy, 0o755);
    const r = await site.call({ command: copy, commandArgs: [], inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok' });
  });

  it('names the Node it needs when run on another Node ABI, after setting FAILURE', async () => {
    const dir = tempDir('astotp-abi-');
    const copy = join(dir, 'astotp');
    const text = readFileSync(BUNDLE_PATH, 'latin1');
    expect(text).toMatch(/abi:"\d+"/);
    // The same length: the bundle finds its code by offset. A cache directory of its own: the code
    // cache of dist/astotp, which claims the same build, would run the unchanged code.
    writeFileSync(
      copy,
      text.replace(/abi:"(\d+)"/, (_, abi: string) => `abi:"${'0'.repeat(abi.length)}"`),
      'latin1',
    );
    chmodSync(copy, 0o755);
    const site = new Site();
    site.enroll('1001', '4321');
    const r = await site.call({ commandArgs: [copy], env: { ASTOTP_CACHE_DIR: join(dir, 'cache') }, inputs: ['1001', '4321', totp()] });
    expect(r.commands[0]).toBe('SET VARIABLE ASTOTP "FAILURE"');
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(r.variables.ASTOTP_ERROR).toMatch(/built for Node \d+ .* running on Node/);
  });
});
