// After a call's result is set: the account events its attempts found go
// to the sinks of astotp.conf's [notify]: a UserEvent on the call's own
// channel now, everything else from a detached notifier once the channel is
// closed. A [notify] that cannot be read costs the notices, never the call.
import type { AccountEvent } from '../auth/account-events.js';
import { loadNotifySettings, type NotifySettings, notifies, notifiesElsewhere } from '../config/notify-settings.js';
import type { Settings } from '../config/settings.js';
import { userEventFields } from '../notify/event-text.js';
import { newsOf } from '../notify/news.js';
import type { NoticePlace } from '../notify/dispatch.js';
import type { CallChannel } from './channel.js';
import { errorMessage } from '../text/error-message.js';

/** The Asterisk UserEvent's name; its fields say which event. */
const USER_EVENT = 'astotp';

/**
 * Sends the UserEvents and says where the notifier is to look for the rest,
 * or null when nothing more is to be done. Never throws.
 */
export async function announce(ch: CallChannel, events: readonly AccountEvent[], site: Settings): Promise<NoticePlace | null> {
  let notify: NotifySettings;
  try {
    notify = loadNotifySettings({ config: site.configFile ?? undefined });
  } catch (err) {
    await ch.log(`notices not sent: ${errorMessage(err)}`);
    return null;
  }
  const news = newsOf(events, notify.pinStreak);
  if (news.length === 0 || !notifies(notify)) return null;
  if (notify.userEvent && ch.userEvent) {
    for (const e of news) await ch.userEvent(USER_EVENT, userEventFields(e));
  }
  return notifiesElsewhere(notify) ? { configFile: site.configFile, db: site.db } : null;
}
