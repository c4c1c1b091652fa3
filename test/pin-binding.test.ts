// PIN hashes name their user: whoever can write the database cannot give one
// user another's PIN. Hashes from before that binding still log in, once,
// and are then rewritten bound.
import Database from 'better-sqlite3';
import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadMasterKey } from '../src/auth/master-key.js';
import { SECRET, Site, totp } from './helpers/site.js';

const pinHashOf = (db: string, id: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT pin_hash FROM users WHERE id = ?').get(id) as { pin_hash: string }).pin_hash;
  } finally {
    d.close();
  }
};
const setPinHash = (db: string, id: string, hash: string) => {
  const d = new Database(db);
  d.prepare('UPDATE users SET pin_hash = ? WHERE id = ?').run(hash, id);
  d.close();
};

describe('PIN hashes bound to the user ID', () => {
  it("refuses a PIN hash copied from another user's row", async () => {
    const site = new Site();
    site.enroll('1001', '1111');
    site.enroll('1002', '2222');
    setPinHash(site.db, '1002', pinHashOf(site.db, '1001'));
    const r = await site.call({ inputs: ['1002', '1111', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
    const log = JSON.parse(site.cli(['log', '--json']).stdout) as Array<{ detail: string }>;
    expect(log.at(-1)?.detail).toBe('wrong PIN');
  });

  it('logs in with a hash from before the binding and rewrites it bound to the user', async () => {
    const site = new Site();
    site.enroll('1001', '1111');
    // What earlier versions stored: scrypt over an HMAC of the PIN alone.
    const { pinPepper } = loadMasterKey(site.keyFile);
    const salt = randomBytes(16);
    const key = scryptSync(createHmac('sha256', pinPepper).update('1111').digest(), salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    setPinHash(site.db, '1001', `scrypt$14$8$1$${salt.toString('base64')}$${key.toString('base64')}`);

    const r = await site.call({ inputs: ['1001', '1111', totp()] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');
    const rewritten = pinHashOf(site.db, '1001');
    expect(rewritten).toMatch(/^scrypt-id\$14\$8\$1\$/);
    // Bound to 1001: the same hash on another user's row does not verify there.
    site.enroll('1002', '2222');
    setPinHash(site.db, '1002', rewritten);
    expect((await site.call({ inputs: ['1002', '1111', totp(SECRET, { offset: 30 })] })).variables.ASTOTP).toBe('FAILURE');
    expect((await site.call({ inputs: ['1001', '1111', totp(SECRET, { offset: 30 })] })).variables.ASTOTP).toBe('SUCCESS');
  });
});
