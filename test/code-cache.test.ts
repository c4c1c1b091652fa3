// The V8 code cache of dist/astotp (src/native/code-cache.ts), through the
// bundle run as Asterisk runs it: the file itself, so /bin/sh and its
// launcher line. A cache is bytecode V8 runs after few checks, so one this
// user did not write, or that others could have changed, must never be
// used, and the call must still succeed. ASTOTP_DEBUG names the cache used
// or why none was.
import Database from 'better-sqlite3';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { probedBundle } from './helpers/module-probe.js';
import { Site, totp } from './helpers/site.js';
import { tempDir } from './helpers/temp.js';

const root = process.getuid?.() === 0;
/** A user ID no one on the machine has, for files "another user" owns. */
const STRANGER = 54_321;

/** A PBX, a cache directory (ASTOTP_CACHE_DIR) and the next candidate (XDG_CACHE_HOME/astotp), all private. */
function setUp() {
  const site = new Site();
  site.config({ timeout: 5, tries: 1 });
  site.enroll('1001', '4321');
  const base = tempDir('astotp-code-cache-');
  const dir = join(base, 'cache');
  // Not below base: some cases open base to others.
  const xdg = tempDir('astotp-code-cache-xdg-');
  mkdirSync(dir, { mode: 0o700 });
  /** One successful call (the code made good again first); its stderr. */
  const call = async (bundle = BUNDLE_PATH): Promise<string> => {
    const db = new Database(site.db);
    db.prepare('UPDATE users SET last_step = NULL, failures = 0, locked_until = NULL').run();
    db.close();
    const r = await site.call({
      command: bundle,
      commandArgs: [],
      env: { ASTOTP_CACHE_DIR: dir, XDG_CACHE_HOME: xdg, ASTOTP_DEBUG: '1' },
      inputs: ['1001', '4321', totp()],
    });
    expect(r.violations).toEqual([]);
    expect(r.variables.ASTOTP).toBe('SUCCESS');
    return r.stderr;
  };
  return { site, base, dir, fallback: join(xdg, 'astotp'), call };
}

const caches = (dir: string): string[] => readdirSync(dir).filter((f) => /^code-[0-9a-f]{16}\.v8$/.test(f));

/** The call that writes the cache, and the one that then uses it: the file, and its bytes as written. */
async function warmed(t: ReturnType<typeof setUp>): Promise<{ file: string; bytes: Buffer }> {
  expect(await t.call()).toMatch(/no code cache used \(.*does not exist yet\)[\s\S]*code cache .* written/);
  const [name] = caches(t.dir);
  expect(name).toBeDefined();
  const file = join(t.dir, name!);
  expect(await t.call()).toContain(`code cache ${file} used`);
  return { file, bytes: readFileSync(file) };
}

describe('the code cache of a classic call', () => {
  it('is written by the first call, private to the user, and used by the next', async () => {
    const t = setUp();
    const { file } = await warmed(t);
    const st = statSync(file);
    expect(st.uid).toBe(process.geteuid?.());
    expect(st.mode & 0o777).toBe(0o600);
    // Used as it is: the call that used it did not write it again.
    expect(await t.call()).not.toContain('written');
  });

  it.skipIf(!root)('owned by another user is not used, and is replaced', async () => {
    const t = setUp();
    const { file } = await warmed(t);
    chownSync(file, STRANGER, STRANGER);
    const err = await t.call();
    expect(err).toContain(`no code cache used (${file} is owned by uid ${STRANGER})`);
    expect(err).toContain(`code cache ${file} written`);
    expect(statSync(file).uid).toBe(0);
    expect(await t.call()).toContain(`code cache ${file} used`);
  });

  it.skipIf(!root)(
    'in a directory another user owns is not used, and that directory is left alone (root and /var/cache/astotp)',
    async () => {
      const t = setUp();
      const { file, bytes } = await warmed(t);
      chownSync(t.dir, STRANGER, STRANGER);
      const err = await t.call();
      expect(err).toContain(`${t.dir} is owned by uid ${STRANGER}, not 0`);
      expect(err).not.toContain(`code cache ${file} used`);
      expect(readFileSync(file).equals(bytes)).toBe(true);
      // The next private candidate holds the cache instead.
      expect(caches(t.fallback)).toHaveLength(1);
    },
  );

  it('in a group-writable directory is not used, and that directory is left alone', async () => {
    const t = setUp();
    const { file, bytes } = await warmed(t);
    chmodSync(t.dir, 0o770);
    const err = await t.call();
    expect(err).toContain(`${t.dir} is writable by group or others`);
    expect(err).not.toContain(`code cache ${file} used`);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(caches(t.fallback)).toHaveLength(1);
  });

  it('below a directory others can write (not sticky) is not used', async () => {
    const t = setUp();
    const { file } = await warmed(t);
    chmodSync(t.base, 0o777);
    const err = await t.call();
    expect(err).toContain(`${t.base}, above ${t.dir}, is writable by group or others`);
    expect(err).not.toContain(`code cache ${file} used`);
    chmodSync(t.base, 0o700);
  });

  it('that is a symbolic link is not followed, and is replaced by a file of its own', async () => {
    const t = setUp();
    const { file, bytes } = await warmed(t);
    const elsewhere = join(t.base, 'elsewhere.v8');
    writeFileSync(elsewhere, bytes, { mode: 0o600 });
    unlinkSync(file);
    symlinkSync(elsewhere, file);
    const err = await t.call();
    expect(err).toContain(`no code cache used (${file} is a symbolic link)`);
    expect(lstatSync(file).isFile()).toBe(true);
    expect(readFileSync(elsewhere).equals(bytes)).toBe(true);
    expect(await t.call()).toContain(`code cache ${file} used`);
  });

  it('that is truncated is refused and written again whole', async () => {
    const t = setUp();
    const { file, bytes } = await warmed(t);
    truncateSync(file, Math.floor(bytes.length / 2));
    const err = await t.call();
    expect(err).toContain(`no code cache used (${file} refused by V8)`);
    expect(statSync(file).size).toBeGreaterThan(bytes.length / 2);
    expect(await t.call()).toContain(`code cache ${file} used`);
  });

  it('of another build of astotp is not used: neither under its own name nor under this build`s', async () => {
    const t = setUp();
    const { path: other } = probedBundle();
    // The other build (the module probe's, as a different version would be) leaves its cache in the same directory.
    await t.call(other);
    await t.call(other);
    const [theirs] = caches(t.dir);
    const theirBytes = readFileSync(join(t.dir, theirs!));
    // This build does not take it for its own.
    const err = await t.call();
    expect(err).toMatch(/no code cache used \(.*does not exist yet\)/);
    const ours = caches(t.dir).find((f) => f !== theirs)!;
    expect(readFileSync(join(t.dir, theirs!)).equals(theirBytes)).toBe(true);
    // Nor the other's bytes copied in under this build's name.
    copyFileSync(join(t.dir, theirs!), join(t.dir, ours));
    const again = await t.call();
    expect(again).toContain(`no code cache used (${join(t.dir, ours)} is for another build, Node or set of flags, or incomplete)`);
    expect(again).toContain(`code cache ${join(t.dir, ours)} written`);
    expect(await t.call()).toContain(`code cache ${join(t.dir, ours)} used`);
  });
});
