// On a pbotp authority (doctor --authority-key FILE): the private key that
// mints every device's logins is a regular file readable by nobody but the
// user the authority runs as (the owner of the database's directory, whom
// pbotp serve becomes), and the database is an authority's.
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAuthority } from '../../auth/authority-admin.js';
import { ownerAnchor, type Settings } from '../../config/settings.js';
import { nameOf } from '../../os/identity.js';
import { counted } from '../format.js';
import { type Check, fail, pass } from './check.js';
import type { OpenedDatabase } from './files.js';

const who = (uid: number) => nameOf(uid) ?? `uid ${uid}`;

export async function checkAuthority(s: Settings, keyFile: string, database: () => Promise<OpenedDatabase>): Promise<Check[]> {
  const out: Check[] = [];
  const anchor = dirname(ownerAnchor(s));
  const home = lstatSync(anchor, { throwIfNoEntry: false });
  const key = lstatSync(keyFile, { throwIfNoEntry: false });
  if (!key) out.push(fail('authority', `private key file ${keyFile} does not exist (astotp pbotp genkey privkey --out ${keyFile})`));
  else if (!key.isFile()) out.push(fail('authority', `private key file ${keyFile} is not a regular file`));
  else {
    const mode = (key.mode & 0o777).toString(8).padStart(4, '0');
    if ((key.mode & 0o077) !== 0)
      out.push(fail('authority', `private key file ${keyFile} has mode ${mode}: others can read it; chmod 600 ${keyFile}`));
    else if (home && key.uid !== home.uid)
      out.push(
        fail(
          'authority',
          `private key file ${keyFile} belongs to ${who(key.uid)}, not to ${who(home.uid)}, the user the authority runs as (owner of ${anchor}); chown ${who(home.uid)} ${keyFile}`,
        ),
      );
    else out.push(pass('authority', `private key file ${keyFile} is mode ${mode}, owned by ${who(key.uid)}`));
  }
  const db = await database();
  if (db.state !== 'open') out.push(fail('authority', `the authority's database does not open: ${db.message}`));
  else if (!(await db.store.read(isAuthority)))
    out.push(fail('authority', `${db.store.name} is not a pbotp authority's database (astotp init --authority on a new one)`));
  else {
    const approvers = await db.store.read((t) => t.roles.list());
    out.push(pass('authority', `${db.store.name} is a pbotp authority's database with ${counted(approvers.length, 'approver')}`));
  }
  return out;
}
