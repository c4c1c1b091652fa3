// What the token commands share: a token named on the command line, a
// fob's serial or app:USER, checked before the database is opened.
import { appTokenUser, isFobSerial, SERIAL_RULE } from '../../../auth/tokens.js';
import { isUserId, USER_ID_RULE } from '../../../auth/user-admin.js';
import { UsageError } from '../../errors.js';

/** `app` allowed: the token may be a user's app (app:1001), not only a fob. */
export function checkTokenName(name: string, app: boolean): string {
  const user = appTokenUser(name);
  if (user !== null) {
    if (!app) throw new UsageError(`${name.slice(0, 70)} names an app token, which stays with its user; name a fob's serial`);
    if (!isUserId(user)) throw new UsageError(`${name.slice(0, 70)}: app: is followed by a user ID (${USER_ID_RULE})`);
    return name;
  }
  if (!isFobSerial(name))
    throw new UsageError(
      `serial "${name.slice(0, 70)}" is not valid: a fob's serial is ${SERIAL_RULE}${app ? '; a user app is app:USER' : ''}`,
    );
  return name;
}
