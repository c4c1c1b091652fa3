// astotp migrate --to TARGET: copies one store into another (SQLite to
// PostgreSQL when a site grows to several PBXs, and back), rows exactly as
// they are, in one transaction on the target. Nothing of the source is
// deleted or changed, but for the schema upgrade every command makes.
import { type AuditPlace, recordAdminAction } from '../../auth/admin-audit.js';
import { AUTHORITY_MARK } from '../../auth/authority-admin.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import type { StoreTx, TransferCounts } from '../../store/tables.js';
import { isPostgresUrl } from '../../store/location.js';
import { expectPositionals, flagOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import { loginActor, openForCommand } from '../open.js';

const KEY_CHECK = 'key_check';
const AUDIT_PAGE = 5_000;

export const command: Command = {
  help: `Usage: astotp migrate --to TARGET [--force]

Copies users (secrets, PINs, failure counts, locks and used time steps),
their recovery codes (used or not), pbotp failure counts, invitations (web
sessions are not copied), a pbotp authority's mark, approvers and API
tokens, the audit log and the key check from the configured
database (db in astotp.conf, --db or ASTOTP_DB) to TARGET: a postgres://
URL or the absolute path of a SQLite file (created if missing). Everything
is written in one transaction: the target gets all rows or none. Nothing is
deleted from the source (an older schema of it is brought up to date first,
as by any astotp command). Prints the rows read, and the rows the target
holds after the commit, which must match.

Calls that end while the copy runs may be missing from the target: stop
calls first (or run it twice and compare the counts). The target must be
used with the same key file. The target's audit log ends with an entry
recording the migrate (astotp log --admin), not counted as copied.

Options:
  --to TARGET          the database to copy into
  --force              replace what the target already holds (its users, recovery codes, counts and audit log)
`,
  options: { to: 'string', force: 'boolean' },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const to = stringOption(ctx.args, 'to');
    if (!to) throw new UsageError('migrate needs --to TARGET (a postgres:// URL or an absolute path)');
    if (!isPostgresUrl(to) && !to.startsWith('/')) throw new UsageError(`--to ${to}: expected a postgres:// URL or an absolute path`);
    const force = flagOption(ctx.args, 'force');
    const { store: source, settings, now } = await openForCommand(ctx, false);
    let target: Store | undefined;
    try {
      target = await openStore(to, {
        create: true,
        timeoutMs: settings.dbTimeoutMs,
        connectTimeoutMs: settings.dbConnectTimeoutMs,
        insecureTls: settings.dbInsecureTls,
      });
      if ((await target.identity()) === (await source.identity()))
        throw new CliFailure(`--to names the configured database ${source.name} itself; nothing was written`);
      const read = await copy(source, target, force, { pbx: settings.pbxName, now });
      // Counted again after the commit, by a read of its own: what the target now holds.
      const all = await target.read((t) => t.transfer.counts());
      const written = { ...all, audit: all.audit - 1 };
      const counts = Object.fromEntries(
        Object.entries(read).map(([k, n]) => [k, { read: n, written: written[k as keyof typeof written] }]),
      ) as Counts;
      const line = (what: string, n: { read: number; written: number }) => `${what}: ${n.read} read, ${n.written} written`;
      if (ctx.globals.json) ctx.out(JSON.stringify({ from: source.name, to: target.name, ...counts }));
      else {
        ctx.out(`Copied ${source.name} to ${target.name}:`);
        for (const [what, n] of Object.entries(counts)) ctx.out(`  ${line(what, n)}`);
        ctx.out('  and 1 audit row recording this migrate');
      }
      const differ = Object.entries(counts).filter(([, n]) => n.read !== n.written);
      if (differ.length)
        throw new CliFailure(
          `the counts of ${differ.map(([w]) => w).join(', ')} differ; the target's transaction was committed: compare and run again with --force`,
        );
      return 0;
    } finally {
      await target?.close();
      await source.close();
    }
  },
};

type Counts = Record<keyof TransferCounts, { read: number; written: number }>;

/** Copies in one transaction of the target; returns the rows read from the source. */
async function copy(source: Store, target: Store, force: boolean, place: AuditPlace): Promise<Record<keyof Counts, number>> {
  return target.exclusive(async (t) => {
    const keyCheck = await source.read((s) => s.meta.get(KEY_CHECK));
    if (keyCheck === undefined)
      throw new CliFailure(`${source.name} records no key check (it was not made by astotp init or enroll); nothing was written`);
    const theirs = await t.meta.get(KEY_CHECK);
    const empty = await t.transfer.isEmpty();
    if (!force && (!empty || (theirs !== undefined && theirs !== keyCheck))) {
      throw new CliFailure(
        `${target.name} already holds users, counts, audit rows or another key check; nothing was written (--force replaces what it holds)`,
      );
    }
    await t.transfer.clear();
    await t.meta.set(KEY_CHECK, keyCheck);
    // An authority's database stays one: its approvers are approvers only there.
    const mark = await source.read((s) => s.meta.get(AUTHORITY_MARK));
    if (mark !== undefined) await t.meta.set(AUTHORITY_MARK, mark);
    return source.read(async (s) => {
      const users = await s.transfer.users();
      const tokens = await s.transfer.tokens();
      const codes = await s.transfer.recoveryCodes();
      const throttle = await s.transfer.throttle();
      const invitations = await s.transfer.invitations();
      const roles = await s.transfer.roles();
      const apiTokens = await s.transfer.apiTokens();
      await t.transfer.putUsers(users);
      await t.transfer.putTokens(tokens);
      await t.transfer.putRecoveryCodes(codes);
      await t.transfer.putThrottle(throttle);
      await t.transfer.putInvitations(invitations);
      await t.transfer.putRoles(roles);
      await t.transfer.putApiTokens(apiTokens);
      const audit = await copyAudit(s, t);
      await recordAdminAction(t, loginActor, place, 'migrate', null, `from ${source.name}`);
      return {
        users: users.length,
        tokens: tokens.length,
        recovery_codes: codes.length,
        throttle: throttle.length,
        invitations: invitations.length,
        roles: roles.length,
        api_tokens: apiTokens.length,
        audit,
      };
    });
  });
}

/** In pages, oldest first, so a long audit log never sits in memory whole. */
async function copyAudit(from: StoreTx, to: StoreTx): Promise<number> {
  let after = 0;
  let n = 0;
  for (;;) {
    const page = await from.transfer.auditPage(after, AUDIT_PAGE);
    if (page.length === 0) return n;
    await to.transfer.putAudit(page.map(({ id: _id, ...row }) => row));
    after = page[page.length - 1]!.id;
    n += page.length;
  }
}
