// astotp doctor: checks everything a call depends on and says what to fix.
// Each check stands alone, so one failure does not hide the others: a new
// check is one more entry in CHECKS.
import { dirname } from 'node:path';
import { pbotpCall } from '../../call/pbotp-settings.js';
import { defaults, loadSettings, ownerAnchor, SettingsError, type Settings } from '../../config/settings.js';
import { asteriskConfigDir, asteriskRunDir, asteriskVarDir, defaultKeyPath } from '../../config/paths.js';
import { defaultSoundsRoot } from '../../sounds/prompts.js';
import { preloadSqliteAddon } from '../../native/sqlite-addon.js';
import { actAsDatabaseOwner, asInvokingUser, nameOf } from '../../os/identity.js';
import { expectPositionals, stringOption } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { counted, json } from '../format.js';
import { errorText, fail, pass, runChecks, warn, type Check, type DoctorCheck, type DoctorSite } from '../doctor/check.js';
import { checkAsteriskEnvironment } from '../doctor/asterisk-env.js';
import { checkAuthority } from '../doctor/authority.js';
import { checkDialplan } from '../doctor/dialplan.js';
import { checkDatabase, checkDigits, checkKey, checkOwnership, databaseOpener } from '../doctor/files.js';
import { checkNotify } from '../doctor/notify.js';
import { checkPamConfig } from '../doctor/pam-config.js';
import { checkClockSource } from '../doctor/clock.js';
import { checkClock, checkNode } from '../doctor/runtime.js';
import { checkSounds } from '../doctor/sounds.js';

export const command: Command = {
  help: `Usage: astotp doctor [--json] [--pam-config FILE] [--authority-key FILE]

Checks the installation and prints one PASS, WARN or FAIL line per check;
every check runs, whatever the others found:
config file (one FAIL per error, with file and line), Node and the SQLite
addon, database (opens, schema), key file (mode 0600, belongs to the
database), ownership of database, -wal, -shm and
key file by the user Asterisk runs as (the owner of $AST_VAR_DIR, by default
/var/lib/asterisk), voice prompts installed and readable by that user
(English, every other language that has any, and a language whose voice
was switched away from them), pbotp settings where configured,
the dialplan (extensions.conf and its #includes: lines that put caller data
such as \${CALLERID(num)} into astotp's arguments unfiltered, arguments
that fail every call, such as pin=no or a profile= astotp.conf lacks, and
profiles that take the user from the caller ID without a PIN), clock and NTP (WARN
when nothing says the clock is kept synchronised), and the clock against the
database server's (PostgreSQL) and clock_source in astotp.conf: beyond 2 s a
WARN, beyond half a period a FAIL; as root, the running Asterisk's
environment (WARN for NODE_EXTRA_CA_CERTS, which slows every classic call
down). Run it
as root or as the Asterisk user. Exits 1 if any check fails.

  --pam-config FILE   the [pbotp-pam] file of the PAM steps (default
                      /etc/pbotp/pam.conf when it exists; run as root): read
                      as the steps read it, its public key and baseurl, the
                      /etc/pam.d lines that name it, their state directory,
                      and Linux-PAM's version against quiet_log
  --authority-key FILE  on a pbotp authority: its private key file is mode 0600
                      and owned by the user the authority runs as (the owner of
                      the database's directory), and the database is an authority's
`,
  options: { 'pam-config': 'string', 'authority-key': 'string' },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const { settings, configLoaded, checks: configChecks } = config(ctx);
    // Like every database command: become the owner, so nothing doctor opens
    // leaves root-owned -wal/-shm files behind.
    const owner = actAsDatabaseOwner(ownerAnchor(settings), preloadSqliteAddon);
    const identity = owner.warning
      ? [warn('identity', owner.warning)]
      : owner.switchedTo
        ? [pass('identity', `checking as ${owner.switchedTo.name}, the owner of ${dirname(ownerAnchor(settings))}`)]
        : [];
    const database = databaseOpener(settings);
    const site: DoctorSite = {
      settings,
      configLoaded,
      env: ctx.env,
      args: ctx.args,
      user: owner.switchedTo?.name ?? nameOf(process.geteuid?.() ?? -1) ?? 'this user',
      database: database.open,
    };
    let checks: Check[];
    try {
      checks = [...configChecks, ...identity, ...(await runChecks(site, CHECKS))];
    } finally {
      await database.close();
    }

    const failed = checks.filter((c) => c.status === 'FAIL').length;
    const warned = checks.filter((c) => c.status === 'WARN').length;
    if (ctx.globals.json) ctx.out(json({ ok: failed === 0, checks }));
    else {
      for (const c of checks) ctx.out(`${c.status}  ${c.check}: ${c.message}`);
      ctx.out(`${failed ? `${failed} failed` : 'All essential checks passed'}${warned ? `, ${counted(warned, 'warning')}` : ''}.`);
    }
    return failed ? 1 : 0;
  },
};

/** The report's checks, in its order; each runs whatever the others found. */
const CHECKS: readonly DoctorCheck[] = [
  // As whoever started doctor, not the database owner it acts as: the PAM steps run as root.
  { check: 'pam', run: (site) => asInvokingUser(() => checkPamConfig(stringOption(site.args, 'pam-config'))) },
  { check: 'node', run: () => checkNode() },
  { check: 'database', run: checkDatabase },
  { check: 'digits', run: checkDigits },
  { check: 'key', run: checkKey },
  { check: 'owner', run: (site) => checkOwnership(site.settings, asteriskVarDir(site.env)) },
  { check: 'sounds', run: (site) => checkSounds(defaultSoundsRoot(site.env), site.settings.sounds, site.user) },
  { check: 'pbotp', run: (site) => pbotpSettings(site.settings) },
  { check: 'dialplan', run: (site) => checkDialplan(asteriskConfigDir(site.env), site.settings, site.configLoaded) },
  { check: 'clock', run: () => checkClock() },
  { check: 'clock', run: (site) => checkClockSource(site.settings) },
  { check: 'asterisk', run: (site) => checkAsteriskEnvironment(asteriskRunDir(site.env)) },
  { check: 'notify', run: (site) => checkNotify(site.settings.configFile) },
  {
    check: 'authority',
    run: (site) => {
      const key = stringOption(site.args, 'authority-key');
      return key === undefined ? [] : checkAuthority(site.settings, key, site.database);
    },
  },
];

/**
 * The settings, or the defaults (with --db/--key) when the config file is
 * broken, so the other checks still run. One FAIL per problem in the file.
 */
function config(ctx: CliContext): { settings: Settings; configLoaded: boolean; checks: Check[] } {
  const g = ctx.globals;
  try {
    const s = loadSettings({ env: ctx.env, config: g.config, db: g.db, keyFile: g.key });
    return {
      settings: s,
      configLoaded: true,
      checks: [pass('config', s.configFile ? `${s.configFile} parses` : 'no config file; defaults in use')],
    };
  } catch (err) {
    const s = defaults(ctx.env);
    if (g.db) s.db = g.db;
    if (g.db || ctx.env.ASTOTP_DB) s.keyFile = defaultKeyPath(s.db);
    if (ctx.env.ASTOTP_KEY) s.keyFile = ctx.env.ASTOTP_KEY;
    if (g.key) s.keyFile = g.key;
    const problems = err instanceof SettingsError ? err.problems : [errorText(err)];
    const checks = problems.map((p) => fail('config', errorText(p)));
    checks.push(warn('config', 'the checks below use the defaults, not the config file'));
    return { settings: s, configLoaded: false, checks };
  }
}

/** Only where pbotp is configured at all: a pbotp call checks the same before it answers. */
function pbotpSettings(s: Settings): Check[] {
  if (s.mode !== 'pbotp' && s.pbotpPubkey === null && s.pbotpGroup === null) return [];
  try {
    const p = pbotpCall(s);
    return [pass('pbotp', `group ${p.group}, host ${p.host}, ${p.digits}-digit responses`)];
  } catch (err) {
    return [(s.mode === 'pbotp' ? fail : warn)('pbotp', `${errorText(err)} (a pbotp call would fail)`)];
  }
}
