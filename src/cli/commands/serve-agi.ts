// astotp serve-agi: the call flow as a FastAGI server, for
// AGI(agi://HOST/otp): one long-running process and one open database for all
// calls instead of a Node start per call.
import { openCallAuth } from '../../auth/open-auth.js';
import { preloadSqliteAddon } from '../../native/sqlite-addon.js';
import { dropRootForGood } from '../../os/identity.js';
import { FastAgiServer, PENDING_ADDRESSES } from '../../fastagi/server.js';
import { SharedAuth } from '../../fastagi/shared-auth.js';
import { expectPositionals, intOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure } from '../errors.js';
import { counted } from '../format.js';
import { formatAddress, parseListen } from '../listen-address.js';
import { settingsOf } from '../open.js';
import { ownerAnchor } from '../../config/settings.js';
import { isPostgresUrl } from '../../store/location.js';

export const command: Command = {
  help: `Usage: astotp serve-agi [--listen HOST:PORT] [--max-sessions N] [--max-pending N] [--header-timeout S]
                         [--idle-timeout S] [--call-timeout S] [--shutdown-timeout S]

Serves calls over FastAGI: in the dialplan, AGI(agi://HOST/otp) or
AGI(agi://HOST/otp,profile=NAME,user=1001) (or
agi://HOST/otp?profile=NAME&user=1001) instead of AGI(otp/astotp); then check \${ASTOTP} = SUCCESS as usual. The settings are
read once at start: restart after changing astotp.conf. Logs one line per
call to standard error. SIGTERM or SIGINT stop accepting calls and let the
calls in progress finish; the last lines count the calls served and the
transactions run again after conflicts with other PBXs (PostgreSQL).

Options:
  --listen HOST:PORT      address to listen on (default 127.0.0.1:4573); PORT 0 picks a free port
  --max-sessions N        calls served at once, 1 to 100000 (default 256); more are answered FAILURE (busy).
                          A connection is a call once its agi_ header is complete.
  --max-pending N         connections per client address that are not calls (no header yet, being
                          refused busy, or closing), at least --max-sessions (default: --max-sessions);
                          ${PENDING_ADDRESSES} times as many from all addresses. Beyond that the oldest is closed:
                          Asterisk sends its header at once, so idle sockets go first.
  --header-timeout S      close a connection that has not sent its agi_ header after S seconds
                          (default 5); a busy refusal gets as long for all its answers
  --idle-timeout S        close a call when Asterisk leaves a command unanswered for S seconds
                          (default: the call's longest prompt timeout + 30)
  --call-timeout S        close a call once Asterisk has taken S seconds in all to answer it
                          (default: every prompt timeout times tries, + 30 per try + 30); whatever
                          Asterisk does, a call ends after that + tries times db_timeout + 60 in all
  --shutdown-timeout S    on SIGTERM, how long calls in progress may take to finish (default 60)
`,
  options: {
    listen: 'string',
    'max-sessions': 'string',
    'max-pending': 'string',
    'header-timeout': 'string',
    'idle-timeout': 'string',
    'call-timeout': 'string',
    'shutdown-timeout': 'string',
  },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const address = parseListen(stringOption(ctx.args, 'listen') ?? '127.0.0.1:4573');
    const maxSessions = intOption(ctx.args, 'max-sessions', 1, 100_000) ?? 256;
    // Every real call comes from Asterisk's one address: a smaller per-address bound would cut real calls.
    const maxPending = intOption(ctx.args, 'max-pending', maxSessions, 1_000_000) ?? maxSessions;
    const headerSeconds = intOption(ctx.args, 'header-timeout', 1, 600) ?? 5;
    const idle = intOption(ctx.args, 'idle-timeout', 1, 86_400);
    const callSeconds = intOption(ctx.args, 'call-timeout', 1, 86_400);
    const drainSeconds = intOption(ctx.args, 'shutdown-timeout', 0, 86_400) ?? 60;
    const settings = settingsOf(ctx);
    const log = (line: string): void => void process.stderr.write(`astotp serve-agi: ${line}\n`);
    const { warning } = dropRootForGood(ownerAnchor(settings), preloadSqliteAddon);
    if (warning) log(`warning: ${warning}`);
    // The database and its -wal/-shm files hold PIN hashes and sealed secrets.
    process.umask(0o077);

    // One call's bug must not end everybody's call: it is logged and the server goes on.
    process.on('uncaughtException', (err) => log(`internal error: ${err.message}`));
    process.on('unhandledRejection', (err) => log(`internal error: ${err instanceof Error ? err.message : String(err)}`));

    const auth = new SharedAuth(isPostgresUrl(settings.db) ? null : settings.db, () =>
      openCallAuth(settings, { poolSize: settings.dbPoolSize }),
    );
    try {
      await auth.get();
    } catch (err) {
      log(`warning: ${(err as Error).message}; calls fail (ASTOTP_REASON=error) until it can be opened`);
    }
    const server = new FastAgiServer({
      settings,
      auth,
      maxSessions,
      maxPending,
      idleTimeoutMs: idle === undefined ? null : idle * 1000,
      callTimeoutMs: callSeconds === undefined ? null : callSeconds * 1000,
      headerTimeoutMs: headerSeconds * 1000,
      log,
    });
    let bound: Awaited<ReturnType<FastAgiServer['listen']>>;
    try {
      bound = await server.listen(address.host, address.port);
    } catch (err) {
      await auth.close();
      throw new CliFailure(`cannot listen on ${formatAddress(address.host, address.port)}: ${(err as Error).message}`);
    }
    log(
      `listening on ${formatAddress(bound.address, bound.port)} as uid ${process.getuid?.() ?? '?'} (at most ${counted(maxSessions, 'call')} at once; database ${settings.db})`,
    );

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          log(`${signal} again: cutting the calls in progress`);
          void server.close(0);
          return;
        }
        stopping = true;
        log(`${signal}: no new calls; waiting up to ${drainSeconds} s for ${server.activeCalls} in progress`);
        void server.close(drainSeconds * 1000).then(({ cut }) => {
          // With several servers on one PostgreSQL database, conflicts are what sharing costs: an admin sizing db_pool or db_timeout needs their number.
          log(`served ${counted(server.servedCalls, 'call')}; ${counted(auth.retries, 'transaction')} run again after conflicts`);
          auth.close();
          log(cut ? `stopped; ${counted(cut, 'connection')} ${cut === 1 ? 'was' : 'were'} still open at the deadline and cut` : 'stopped');
          resolve();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    return 0;
  },
};
