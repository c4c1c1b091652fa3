// astotp init: an empty database and its key file, for sites that enroll no
// one yet, e.g. pbotp only (a call never creates a database).
import { existsSync } from 'node:fs';
import { isPostgresUrl } from '../../store/location.js';
import { expectPositionals, flagOption } from '../args.js';
import type { Command } from '../command.js';
import { loginActor, openForCommand, settingsOf } from '../open.js';

export const command: Command = {
  help: `Usage: astotp init

Creates the database and the key file if they do not exist yet, owned by the
user Asterisk runs as, and brings an existing database's schema up to date.
enroll does this on first use; init is for sites that start without TOTP
users, e.g. with pbotp logins only (mode = pbotp in astotp.conf), which keep
their failure counts and audit log in the same database.

  --authority   make it a pbotp authority's database instead (astotp pbotp serve
                --help): only a new, empty one can become one, so that no PBX's
                database, and none of its users, ever can
`,
  options: { authority: 'boolean' },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const settings = settingsOf(ctx);
    // A database server's database exists before astotp makes its tables in it.
    const existed = isPostgresUrl(settings.db) || existsSync(settings.db);
    const { store, authority } = await openForCommand(ctx, true, settings);
    try {
      if (flagOption(ctx.args, 'authority')) {
        const marked = await authority.markAuthority(loginActor);
        if (ctx.globals.json) ctx.out(JSON.stringify({ db: store.name, key_file: settings.keyFile, created: !existed, authority: true }));
        else
          ctx.out(
            `${marked ? 'Made' : 'Database'} ${store.name} ${marked ? "a pbotp authority's database" : "is a pbotp authority's already"}: enroll the approvers, then astotp role USER approver --groups ...`,
          );
        return 0;
      }
      const users = await store.read((t) => t.users.count());
      if (ctx.globals.json) ctx.out(JSON.stringify({ db: store.name, key_file: settings.keyFile, created: !existed, users }));
      else ctx.out(`${existed ? 'Database' : 'Created database'} ${store.name} is ready (${users} user${users === 1 ? '' : 's'}).`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
