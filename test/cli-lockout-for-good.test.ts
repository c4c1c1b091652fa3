// The bound for good through the built bundle: calls with the right PIN and
// wrong codes lock a user until an admin unlocks it; list and show say so;
// an astotp from before schema 6 sharing the database never lets that user
// in (it refuses the database since the tokens, and the lock is a
// locked_until no clock reaches besides); unlock ends it.
import { afterAll, describe, expect, it } from 'vitest';
import type { CallResult } from './helpers/asterisk-peer.js';
import { CliSite } from './helpers/cli-site.js';
import { olderBundle } from './helpers/older-bundle.js';
import { totp, wrongCode } from './helpers/site.js';

/** main before the right-PIN streak (schema 5): an older PBX on the same database. */
const BEFORE_SCHEMA_6 = '3e449fb';

const sites: CliSite[] = [];
afterAll(() => {
  for (const s of sites) s.remove();
});

interface UserJson {
  id: string;
  hard_locked: boolean;
  pin_streak: number;
  lock_level: number;
  failures: number;
}

describe('a user locked for good', () => {
  it('after lockout_max_failures calls with the right PIN, refused by this and by an older astotp until unlocked', async () => {
    const site = new CliSite();
    sites.push(site);
    site.config({ tries: 1, timeout: 5, lockout_failures: 10, lockout_max_failures: 3 });
    site.enroll('1001', '4321');
    const call = (pin: string, code: string, commandArgs?: string[]): Promise<CallResult> =>
      site.call({ inputs: ['1001', pin, code], ...(commandArgs ? { commandArgs } : {}) });
    // A stranger's wrong PINs do not count towards it.
    for (let i = 0; i < 4; i++) await call('9999', wrongCode());
    for (let i = 0; i < 3; i++) expect((await call('4321', wrongCode())).variables.ASTOTP_REASON).toBe('bad-credentials');
    const [u] = site.json<UserJson[]>(['list']).value;
    expect(u).toMatchObject({ id: '1001', hard_locked: true, pin_streak: 3, failures: 0 });
    expect(site.cli(['show', '1001']).stdout).toMatch(/^locked until: until unlocked \(after 3 failures with the right PIN in a row\)$/m);
    const log = site.json<Array<{ detail: string }>>(['log', '--user', '1001']).value;
    expect(log.at(-1)?.detail).toBe('wrong code; 3 failures with the right PIN in a row: now locked until an admin unlocks it');

    // The right PIN and code: refused as locked, here and by the older astotp sharing the database.
    const now = await call('4321', totp());
    expect(now.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'locked' });
    // The older PBX has an astotp.conf of its own (it knows no lockout_max_failures), naming the shared database.
    const pbx2 = new CliSite();
    sites.push(pbx2);
    pbx2.config({ tries: 1, timeout: 5, db: site.db, key_file: site.keyFile });
    const older = await pbx2.call({ inputs: ['1001', '4321', totp()], commandArgs: [olderBundle(BEFORE_SCHEMA_6)] });
    expect(older.exitCode).toBe(0);
    // Since the tokens (schema 6) an older astotp refuses the database outright; the lock would stop it as well.
    expect(older.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(older.variables.ASTOTP_ERROR).toMatch(/install a newer astotp/);

    expect(site.cli(['unlock', '1001']).status).toBe(0);
    expect(site.json<UserJson[]>(['list']).value[0]).toMatchObject({ hard_locked: false, pin_streak: 0, lock_level: 0 });
    expect((await call('4321', totp())).variables.ASTOTP).toBe('SUCCESS');
  }, 120_000);
});
