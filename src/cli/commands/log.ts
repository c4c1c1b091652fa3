// astotp log: the audit log, oldest first, optionally for one user and a time span.
import { AUTHORITY_SOURCE } from '../../auth/authority-mark.js';
import { maskedId } from '../../auth/masked-id.js';
import { expectPositionals, flagOption, intOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { isoTime, json, table, timeCell } from '../format.js';
import { loginActor, openForCommand } from '../open.js';

export const command: Command = {
  help: `Usage: astotp log [--user USER] [--approver USER] [--pbx NAME] [--since WHEN] [--admin] [--limit N] [--json]

Shows the newest audit entries (calls, verify, admin commands): time (UTC),
user, result, reason, source, PBX, caller ID, channel and the admin-only
detail. Never PINs, codes or secrets. An ID typed on a call that belongs to
no enrolled user (for pbotp: any ID without a right response) is shown
masked, e.g. unknown:4d:1f2e3a4b (its length and a hash keyed by the key
file), since it may be a PIN or code typed out of turn.

An admin command's entry has source admin, its target as user, the command
as reason, and who ran it in the detail: the name of the login behind sudo
or su (the kernel's login uid, which SUDO_USER cannot fake), then the real
uid, e.g. "disable by alice (loginuid 1000, uid 0)".

On a pbotp authority (astotp pbotp serve) every response given, and every
one refused, has source authority, the approver as user, the client's
address as caller ID, pbotp/web or pbotp/api as channel, and in the detail
the login (group, host, user) and a hash of the challenge.

Options:
  --user USER          only entries for USER, also those where it was masked
  --approver USER      only the pbotp authority's responses asked for by the approver USER
  --pbx NAME           only entries of the PBX named NAME (pbx_name, else its host name)
  --admin              only admin commands (enroll, reset, set-pin, disable, enable,
                       unlock, remove, recovery, migrate, import, export --reveal-secret,
                       show --reveal-secret)
  --since WHEN         an ISO date/time, UTC unless it names a zone (2025-01-31,
                       2025-01-31T08:00, 2025-01-31T09:00+01:00) or an age: -30m, -1h, -7d, -2w
  --limit N            at most N entries, 1 to 100000 (default 50)
`,
  options: { user: 'string', approver: 'string', pbx: 'string', since: 'string', limit: 'string', admin: 'boolean' },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const approver = stringOption(ctx.args, 'approver');
    if (approver !== undefined && (stringOption(ctx.args, 'user') !== undefined || flagOption(ctx.args, 'admin')))
      throw new UsageError('--approver cannot be combined with --user or --admin');
    const user = approver ?? stringOption(ctx.args, 'user');
    const pbx = stringOption(ctx.args, 'pbx');
    const sinceText = stringOption(ctx.args, 'since');
    const since = sinceText === undefined ? undefined : parseSince(sinceText, Date.now());
    const limit = intOption(ctx.args, 'limit', 1, 100_000) ?? 50;
    const { store, key } = await openForCommand(ctx, false);
    try {
      const users = user === undefined ? undefined : approver !== undefined ? [approver] : [user, maskedId(key.idMask, user)];
      const sources = flagOption(ctx.args, 'admin') ? [loginActor.source] : approver !== undefined ? [AUTHORITY_SOURCE] : undefined;
      const entries = await store.read((t) => t.audit.list({ users, since, limit, pbx, sources }));
      if (ctx.globals.json) {
        ctx.out(json(entries.map((e) => ({ ...e, time: isoTime(e.at) }))));
      } else if (entries.length === 0) {
        ctx.note('No audit entries match.');
      } else {
        const dash = (v: string | null) => v || '-';
        const rows = entries.map((e) => [
          timeCell(e.at),
          dash(e.user),
          e.result,
          e.reason,
          e.source,
          dash(e.pbx),
          dash(e.caller_id),
          dash(e.channel),
          dash(e.detail),
        ]);
        ctx.out(table(['TIME', 'USER', 'RESULT', 'REASON', 'SOURCE', 'PBX', 'CALLER ID', 'CHANNEL', 'DETAIL'], rows));
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Unix seconds from an age like -1h or an ISO date; a date without a zone is UTC, like every time astotp shows. */
export function parseSince(text: string, nowMs: number): number {
  const age = /^-(\d{1,6})([smhdw])$/.exec(text);
  if (age) return Math.floor(nowMs / 1000) - Number(age[1]) * UNIT_SECONDS[age[2]!]!;
  // Date.parse reads a date-time without a zone as local time.
  const zoned = /^\d{4}-\d{2}-\d{2}$/.test(text) || /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const ms = Date.parse(zoned ? text : `${text}Z`);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    throw new UsageError(`--since "${text}" is neither an ISO date/time nor an age like -1h or -7d`);
  return Math.floor(ms / 1000);
}
