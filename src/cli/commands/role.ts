// astotp role USER approver|none: what a user of a pbotp authority's
// database may approve. The rules and the audit row are the admin service's
// (auth/authority-admin.ts).
import { parseGroups, parseHostPatterns } from '../../auth/approver-rights.js';
import { expectPositionals, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import { loginActor, openForCommand } from '../open.js';
import { done } from '../user-arg.js';
import { checkUserId } from '../validate.js';

export const command: Command = {
  help: `Usage: astotp role USER approver --groups GROUP[,GROUP...] [--hosts PATTERN[,PATTERN...]]
       astotp role USER none

On a pbotp authority's database (astotp init --authority): makes the
enrolled user USER an approver, who may log in to astotp pbotp serve's
console and get responses for logins of these device groups, on hosts
matching the patterns (* for any characters; default every host). Groups
and hosts are matched exactly and case-sensitively (pbx* does not cover
PBX1), as the response is bound to the login's exact bytes. Setting
it again replaces the rights. none takes the role away and revokes the
user's API tokens. Each change is a row of astotp log --admin.

  --groups G,G    the device groups (as the devices' pbotp group names them)
  --hosts P,P     host patterns, e.g. db-*,web1
`,
  options: { groups: 'string', hosts: 'string' },

  async run(ctx) {
    const [raw, role] = expectPositionals(ctx.args, ['user', 'role']);
    const user = checkUserId(raw!);
    const groupText = stringOption(ctx.args, 'groups');
    const hostText = stringOption(ctx.args, 'hosts');
    if (role !== 'approver' && role !== 'none') throw new UsageError(`role "${role}": expected approver or none`);
    if (role === 'none' && (groupText !== undefined || hostText !== undefined))
      throw new UsageError('role none takes no --groups or --hosts');
    if (role === 'approver' && groupText === undefined) throw new UsageError('an approver needs --groups GROUP[,GROUP...]');
    const rights =
      role === 'none' ? null : { groups: parseGroups(groupText!), hosts: hostText === undefined ? null : parseHostPatterns(hostText) };
    const { store, authority } = await openForCommand(ctx, false);
    try {
      const changed = await authority.setRole(loginActor, user, rights);
      if (!changed) throw new CliFailure(`${user} is no approver`);
      return done(
        ctx,
        rights === null
          ? `${user} is no approver any more; their API tokens are revoked.`
          : `${user} approves logins of groups ${rights.groups.join(', ')} on ${rights.hosts === null ? 'every host' : `hosts ${rights.hosts.join(', ')}`}.`,
        { user, role: rights === null ? null : 'approver', groups: rights?.groups ?? [], hosts: rights?.hosts ?? null },
      );
    } finally {
      await store.close();
    }
  },
};
