// The rule that keeps notices from flooding a user's inbox: one mail per
// user and kind of event an hour at most, the mark shared by every PBX and
// taken in one transaction, so two notifiers at once send one mail.
import type { Store } from '../store/store.js';

const MAIL_INTERVAL_SECONDS = 3600;

/** True when no mail of `kind` went to `user` in the last hour, and now one may: the mark is taken. */
export function claimMail(store: Store, user: string, kind: string, at: number): Promise<boolean> {
  return store.exclusive((t) => t.notices.claim(user, kind, at, MAIL_INTERVAL_SECONDS));
}
