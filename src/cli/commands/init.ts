// astotp init: an empty database and its key file, for sites that enroll no
// one yet, e.g. pbotp only (a call never creates a database).
import { existsSync } from 'node:fs';
import { expectPositionals } from '../args.js';
import type { Command } from '../command.js';
import { openForCommand, settingsOf } from '../open.js';

export const command: Command = {
  help: `Usage: astotp init

Creates the database and the key file if they do not exist yet, owned by the
user Asterisk runs as, and brings an existing database's schema up to date.
enroll does this on first use; init is for sites that start without TOTP
users, e.g. with pbotp logins only (mode = pbotp in astotp.conf), which keep
their failure counts and audit log in the same database.
`,
  options: {},

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const settings = settingsOf(ctx);
    const existed = existsSync(settings.db);
    const { store } = openForCommand(ctx, true, settings);
    try {
      const users = store.users.count();
      if (ctx.globals.json) ctx.out(JSON.stringify({ db: settings.db, key_file: settings.keyFile, created: !existed, users }));
      else ctx.out(`${existed ? 'Database' : 'Created database'} ${settings.db} is ready (${users} user${users === 1 ? '' : 's'}).`);
      return 0;
    } finally {
      store.close();
    }
  },
};
