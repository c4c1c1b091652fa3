// doctor's look at [notify]: a typo there fails no call, so only doctor and
// the notifier can say that the notices will not go out.
import { existsSync } from 'node:fs';
import { loadNotifySettings, notifies } from '../../config/notify-settings.js';
import { SettingsError } from '../../config/settings.js';
import { loadWebSettings } from '../../config/web-settings.js';
import { type Check, errorText, fail, pass, warn } from './check.js';

export function checkNotify(configFile: string | null): Check[] {
  if (configFile === null) return [];
  let s: ReturnType<typeof loadNotifySettings>;
  try {
    s = loadNotifySettings({ config: configFile });
  } catch (err) {
    const problems = err instanceof SettingsError ? err.problems : [errorText(err)];
    return problems.map((p) => fail('notify', `${errorText(p)}: no notices are sent until it is fixed`));
  }
  if (!notifies(s)) return [];
  const checks: Check[] = [];
  if (s.command && !existsSync(s.command)) checks.push(fail('notify', `command ${s.command} does not exist`));
  if (s.syslog && !existsSync(s.syslogSocket))
    checks.push(warn('notify', `syslog: no socket ${s.syslogSocket}, so no syslog line goes out`));
  if (s.mailUser || s.mailAdmin) {
    try {
      const web = loadWebSettings({ config: configFile });
      if (!web.smtp || !web.mailFrom) checks.push(fail('notify', 'mail_user and mail_admin need smtp_url and mail_from in [web]'));
    } catch (err) {
      checks.push(fail('notify', `mail cannot go out: ${errorText(err)}`));
    }
  }
  const sinks = [
    s.syslog && 'syslog',
    s.command && 'command',
    s.mailUser && 'mail to users',
    s.mailAdmin && `mail to ${s.mailAdmin}`,
    s.userEvent && 'UserEvent',
  ];
  return checks.length ? checks : [pass('notify', `notices by ${sinks.filter(Boolean).join(', ')}`)];
}
