// astotp roles: a pbotp authority's approvers and their rights.
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { isoTime, json, table, timeCell } from '../format.js';
import { openForCommand } from '../open.js';

export const command: Command = {
  help: `Usage: astotp roles [--json]

Lists the approvers of a pbotp authority's database: the device groups and
host patterns each may approve logins for, and when the role was last set.
Times are UTC; --json gives them in ISO 8601.
`,
  options: {},

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const { store, authority } = await openForCommand(ctx, false);
    try {
      const roles = await authority.roles();
      if (ctx.globals.json)
        ctx.out(
          json(
            roles.map((r) => ({
              user: r.user,
              role: 'approver',
              groups: r.rights.groups,
              hosts: r.rights.hosts,
              updated_at: isoTime(r.updatedAt),
            })),
          ),
        );
      else if (roles.length === 0)
        ctx.note(
          (await authority.isAuthority())
            ? 'No approvers yet (astotp role USER approver --groups ...).'
            : `${store.name} is not a pbotp authority's database: it has no approvers.`,
        );
      else
        ctx.out(
          table(
            ['USER', 'ROLE', 'GROUPS', 'HOSTS', 'SET'],
            roles.map((r) => [r.user, 'approver', r.rights.groups.join(','), r.rights.hosts?.join(',') ?? '*', timeCell(r.updatedAt)]),
          ),
        );
      return 0;
    } finally {
      await store.close();
    }
  },
};
