// The order every database command follows: read the config (as root, it may
// be root-only), become the owner of the database's directory (with
// PostgreSQL: the key file's), then open, so every file SQLite and we create
// belongs to the user Asterisk runs as.
import type { AccountEvent } from '../auth/account-events.js';
import { ACTOR_SOURCE, type Actor } from '../auth/admin-audit.js';
import { AuthorityAdmin } from '../auth/authority-admin.js';
import { openAuth, type AuthContext } from '../auth/open-auth.js';
import { InvitationAdmin } from '../auth/invitation-admin.js';
import { UserAdmin } from '../auth/user-admin.js';
import { loadNotifySettings, type NotifySettings, notifiesElsewhere } from '../config/notify-settings.js';
import { loadWebSettings, type WebSettings } from '../config/web-settings.js';
import { deliverLater } from '../notify/dispatch.js';
import { loadSettings, ownerAnchor, type Settings } from '../config/settings.js';
import { preloadSqliteAddon } from '../native/sqlite-addon.js';
import { actingUser } from '../os/acting-user.js';
import { actAsDatabaseOwner } from '../os/identity.js';
import type { CliContext } from './command.js';
import { errorMessage } from '../text/error-message.js';

let who: string | undefined;

/** The admin at this terminal: looked up when the first row names them, the same in every row the command writes. */
export const loginActor: Actor = {
  source: ACTOR_SOURCE.cli,
  get who() {
    return (who ??= actingUser());
  },
};

export interface OpenedForCommand extends AuthContext {
  settings: Settings;
  /** Every change to users goes through it, made by loginActor. */
  admin: UserAdmin;
  /** And every change to invitations through this. */
  invitations: InvitationAdmin;
  /** And a pbotp authority's: its mark, approvers and API tokens. */
  authority: AuthorityAdmin;
}

export function settingsOf(ctx: CliContext): Settings {
  const g = ctx.globals;
  return loadSettings({ env: ctx.env, config: g.config, db: g.db, keyFile: g.key });
}

/** Takes on the database owner's identity, passing on its warning. */
export function becomeDatabaseOwner(ctx: CliContext, s: Settings): void {
  const { warning } = actAsDatabaseOwner(ownerAnchor(s), preloadSqliteAddon);
  if (warning) ctx.warn(warning);
  // The database holds PIN hashes and sealed secrets: nobody else needs to read
  // it, nor its -wal and -shm files, which SQLite creates with the db's mode.
  process.umask(0o077);
}

/** Settings, owner switch and the opened database; `create` only for enroll. */
export async function openForCommand(ctx: CliContext, create: boolean, s: Settings = settingsOf(ctx)): Promise<OpenedForCommand> {
  becomeDatabaseOwner(ctx, s);
  const auth = await openAuth(s, { create });
  if (auth.keyCreated)
    ctx.note(`Created key file ${s.keyFile} (mode 0600). Back it up with the database: without it no secret can be read.`);
  return {
    ...auth,
    settings: s,
    admin: new UserAdmin(auth, s, noticesOf(ctx, s)),
    invitations: new InvitationAdmin(auth, s),
    authority: new AuthorityAdmin(auth, s),
  };
}

/** What the admin's changes tell [notify]'s sinks: a new PIN or secret. */
function noticesOf(ctx: CliContext, s: Settings): (events: AccountEvent[]) => void {
  return (events) => {
    let notify: NotifySettings;
    try {
      notify = loadNotifySettings({ env: ctx.env, config: ctx.globals.config });
    } catch (err) {
      ctx.warn(`no notice sent: ${errorMessage(err)}`);
      return;
    }
    if (notifiesElsewhere(notify)) deliverLater(events, { configFile: s.configFile, db: s.db });
  };
}

/** [web] of astotp.conf: web_url, mail; read by invite and serve-web only. */
export function webSettingsOf(ctx: CliContext): WebSettings {
  return loadWebSettings({ env: ctx.env, config: ctx.globals.config });
}
