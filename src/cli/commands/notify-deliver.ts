// astotp notify-deliver: the notifier that astotp starts, detached, after
// something happened to an account (notify/dispatch.ts): a syslog line, the
// site's command, mail to the user and the admin address, each bounded in
// time, none retried. A mail of one kind goes to one user at most once an
// hour (the notices table, shared by every PBX). Its failures go to syslog
// when that is on; nobody waits for this process.
import { ACCOUNT_EVENT_KINDS, type AccountEvent } from '../../auth/account-events.js';
import { claimMail } from '../../auth/notice-marks.js';
import { isUserLanguage } from '../../auth/user-profile.js';
import { loadNotifySettings, type NotifySettings } from '../../config/notify-settings.js';
import { loadWebSettings } from '../../config/web-settings.js';
import { killRunningCommands, runNotifyCommand } from '../../notify/command.js';
import { MAX_NOTICE_EVENTS, NOTICES_VARIABLE } from '../../notify/dispatch.js';
import { eventJson, eventLine } from '../../notify/event-text.js';
import { newsOf } from '../../notify/news.js';
import { syslog } from '../../os/syslog.js';
import { loadWeb } from '../../web/load-web.js';
import { expectPositionals } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { UsageError } from '../errors.js';
import { openForCommand } from '../open.js';

/** However the sinks hang, the notifier is gone after this. */
const LIFETIME_MS = 120_000;

export const command: Command = {
  help: `Usage: astotp notify-deliver

Sends the notices of account events as astotp.conf's [notify] says: astotp
starts it itself, detached, after a lock, a lock until unlocked, a streak of
failures with the right PIN, a login with a recovery code or after failures,
or a new PIN or secret. The events come in the ${NOTICES_VARIABLE} environment
variable. Not for use by hand.
`,
  options: {},
  async run(ctx) {
    expectPositionals(ctx.args, []);
    setTimeout(() => {
      killRunningCommands();
      process.exit(1);
    }, LIFETIME_MS).unref();
    const events = parseEvents(ctx.env[NOTICES_VARIABLE]);
    const notify = loadNotifySettings({ env: ctx.env, config: ctx.globals.config });
    const news = newsOf(events, notify.pinStreak);
    const problems: string[] = [];
    for (const e of news) {
      if (notify.syslog && !(await syslog({ tag: 'astotp', priority: 'auth.notice', line: eventLine(e), socket: notify.syslogSocket })))
        problems.push(`syslog ${notify.syslogSocket} did not take the line`);
      if (notify.command) {
        const why = await runNotifyCommand(notify.command, eventJson(e), notify.commandTimeoutMs);
        if (why) problems.push(why);
      }
    }
    if (news.length && (notify.mailUser || notify.mailAdmin)) problems.push(...(await mail(ctx, notify, news)));
    for (const p of problems) {
      if (
        !notify.syslog ||
        !(await syslog({ tag: 'astotp', priority: 'auth.warning', line: `notice not sent: ${p}`, socket: notify.syslogSocket }))
      )
        ctx.warn(`notice not sent: ${p}`);
    }
    return problems.length ? 1 : 0;
  },
};

/** The events as astotp wrote them; anything else is refused whole. */
function parseEvents(raw: string | undefined): AccountEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(raw ?? '');
  } catch {
    throw new UsageError(`${NOTICES_VARIABLE} holds no events: astotp starts this command itself`);
  }
  const fine = (e: unknown): e is AccountEvent => {
    const x = e as Record<string, unknown>;
    return (
      typeof x === 'object' &&
      x !== null &&
      ACCOUNT_EVENT_KINDS.includes(x.kind as AccountEvent['kind']) &&
      typeof x.user === 'string' &&
      x.user.length <= 64 &&
      Number.isSafeInteger(x.at) &&
      typeof x.source === 'string' &&
      typeof x.pbx === 'string'
    );
  };
  if (!Array.isArray(value) || value.length > MAX_NOTICE_EVENTS || !value.every(fine))
    throw new UsageError(`${NOTICES_VARIABLE} holds something other than astotp's events`);
  return value;
}

/** Mail to each user (in their language) and to the admin address, each kind at most hourly per user; what went wrong. */
async function mail(ctx: CliContext, notify: NotifySettings, events: AccountEvent[]): Promise<string[]> {
  const web = loadWebSettings({ env: ctx.env, config: ctx.globals.config });
  if (!web.smtp || !web.mailFrom) return ['mail needs smtp_url and mail_from in [web]'];
  const { store } = await openForCommand(ctx, false);
  const mails: Parameters<Awaited<ReturnType<typeof loadWeb>>['sendNoticeMails']>[2][number][] = [];
  try {
    for (const e of events) {
      const u = await store.read((t) => t.users.get(e.user));
      if (!u) continue;
      const claim = (kind: string) => claimMail(store, u.id, kind, e.at);
      if (notify.mailUser && u.email && (await claim(e.kind)))
        mails.push({ to: u.email, name: u.display_name, language: u.language && isUserLanguage(u.language) ? u.language : null, event: e });
      if (notify.mailAdmin && (await claim(`admin:${e.kind}`))) mails.push({ to: notify.mailAdmin, name: null, language: null, event: e });
    }
  } finally {
    await store.close();
  }
  if (!mails.length) return [];
  const { sendNoticeMails } = await loadWeb();
  return (await sendNoticeMails(web.smtp, web.mailFrom, mails)).flatMap((why, i) => (why ? [`mail to ${mails[i]!.to}: ${why}`] : []));
}
