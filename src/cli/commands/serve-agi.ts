// astotp serve-agi: the call flow as a FastAGI server, for
// AGI(agi://HOST/otp): one long-running process and one open database for all
// calls instead of a Node start per call.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openCallAuth } from '../../auth/call-auth.js';
import { preloadSqliteAddon } from '../../native/sqlite-addon.js';
import { dropRootForGood } from '../../os/identity.js';
import { FastAgiServer, PENDING_ADDRESSES } from '../../fastagi/server.js';
import { SharedAuth } from '../../fastagi/shared-auth.js';
import { DEFAULT_ALLOW, parseAllowList, AllowListError, type AllowList } from '../../fastagi/allow-list.js';
import {
  createPbxSecret,
  ownerOf,
  PbxSecretError,
  readPbxSecret,
  SECRET_REFERENCE,
  SECRET_VARIABLE,
  type PbxSecret,
} from '../../fastagi/pbx-secret.js';
import { expectPositionals, flagOption, intOption, stringOption } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import { counted } from '../format.js';
import { formatAddress, type ListenAddress, parseListen } from '../listen-address.js';
import { settingsOf } from '../open.js';
import { ownerAnchor } from '../../config/settings.js';
import { errorMessage } from '../../text/error-message.js';

/** Asterisk answers these commands at once; a peer that sits on one is no Asterisk. */
const DEFAULT_REPLY_SECONDS = 5;

export const command: Command = {
  help: `Usage: astotp serve-agi [--listen HOST:PORT] [--allow ADDR[/BITS],...] [--secret-file FILE]
                         [--max-sessions N] [--max-pending N] [--header-timeout S] [--reply-timeout S]
                         [--idle-timeout S] [--call-timeout S] [--shutdown-timeout S]
       astotp serve-agi --secret-file FILE --print-dialplan [--listen HOST:PORT]

Serves calls over FastAGI: in the dialplan,
AGI(agi://HOST/otp/\${GLOBAL(ASTOTP_FASTAGI_SECRET)}) (with --secret-file; without it
AGI(agi://HOST/otp)), followed by ?profile=NAME&user=1001 or AGI() arguments as for
AGI(otp/astotp); then check \${ASTOTP} = SUCCESS as usual. Only a connection from an
address in --allow whose request carries the secret becomes a call. The settings are read
once at start: restart after changing astotp.conf. Logs one line per call to standard
error. SIGTERM or SIGINT stop accepting calls and let the calls in progress finish; the
last lines count the calls served and the transactions run again after conflicts with
other PBXs (PostgreSQL).

Options:
  --listen HOST:PORT      address to listen on (default 127.0.0.1:4573); PORT 0 picks a free port
  --allow ADDR[/BITS],... client addresses that may make calls, IPv4 or IPv6 (default ${DEFAULT_ALLOW},
                          loopback); any other connection is closed at once
  --secret-file FILE      the secret a request must carry in its path (agi://HOST/otp/SECRET), in a
                          file only the Asterisk user reads: ${SECRET_VARIABLE}=... Without it, any
                          local user can hold every call slot
  --print-dialplan        print the extensions.conf lines that pass the secret, creating
                          --secret-file with a new secret (mode 0600, the Asterisk user's) if it
                          does not exist, and exit
  --max-sessions N        calls served at once, 1 to 100000 (default 256); more are answered FAILURE (busy).
                          A connection is a call once its agi_ header is complete.
  --max-pending N         connections per client address that are not calls (no header yet, being
                          refused busy, or closing), at least --max-sessions (default: --max-sessions);
                          ${PENDING_ADDRESSES} times as many from all addresses. Beyond that the oldest is closed:
                          Asterisk sends its header at once, so idle sockets go first.
  --header-timeout S      close a connection that has not sent its agi_ header after S seconds
                          (default 5); a busy refusal gets as long for all its answers
  --reply-timeout S       close a call as a hangup when Asterisk takes more than S seconds to answer
                          a command that does not wait for the caller (SET VARIABLE, ANSWER, VERBOSE,
                          CHANNEL STATUS...; default ${DEFAULT_REPLY_SECONDS})
  --idle-timeout S        close a call when Asterisk leaves a prompt (GET DATA, STREAM FILE, SAY...)
                          unanswered for S seconds (default: the call's longest prompt timeout + 30)
  --call-timeout S        close a call once Asterisk has taken S seconds in all to answer it
                          (default: every prompt timeout times tries, + 30 per try + 30); whatever
                          Asterisk does, a call ends after that + tries times db_timeout + 60 in all
  --shutdown-timeout S    on SIGTERM, how long calls in progress may take to finish (default 60)
`,
  options: {
    listen: 'string',
    allow: 'string',
    'secret-file': 'string',
    'print-dialplan': 'boolean',
    'reply-timeout': 'string',
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
    const secretFile = stringOption(ctx.args, 'secret-file');
    if (flagOption(ctx.args, 'print-dialplan')) return printDialplan(ctx, secretFile, address);
    const allow = allowList(stringOption(ctx.args, 'allow') ?? DEFAULT_ALLOW);
    const replySeconds = intOption(ctx.args, 'reply-timeout', 1, 3600) ?? DEFAULT_REPLY_SECONDS;
    const maxSessions = intOption(ctx.args, 'max-sessions', 1, 100_000) ?? 256;
    // Every real call comes from Asterisk's one address: a smaller per-address bound would cut real calls.
    const maxPending = intOption(ctx.args, 'max-pending', maxSessions, 1_000_000) ?? maxSessions;
    const headerSeconds = intOption(ctx.args, 'header-timeout', 1, 600) ?? 5;
    const idle = intOption(ctx.args, 'idle-timeout', 1, 86_400);
    const callSeconds = intOption(ctx.args, 'call-timeout', 1, 86_400);
    const drainSeconds = intOption(ctx.args, 'shutdown-timeout', 0, 86_400) ?? 60;
    const settings = settingsOf(ctx);
    const log = (line: string): void => void process.stderr.write(`astotp serve-agi: ${line}\n`);
    // Read as the user the server starts as: a file of root's that the Asterisk group may read works too.
    const secret = secretFile === undefined ? null : pbxSecret(secretFile);
    const { warning } = dropRootForGood(ownerAnchor(settings), preloadSqliteAddon);
    if (warning) log(`warning: ${warning}`);
    // The database and its -wal/-shm files hold PIN hashes and sealed secrets.
    process.umask(0o077);

    // One call's bug must not end everybody's call: it is logged and the server goes on.
    process.on('uncaughtException', (err) => log(`internal error: ${err.message}`));
    process.on('unhandledRejection', (err) => log(`internal error: ${errorMessage(err)}`));

    const auth = new SharedAuth({ db: settings.db, keyFile: settings.keyFile }, () =>
      openCallAuth(settings, { poolSize: settings.dbPoolSize }),
    );
    try {
      await auth.get();
    } catch (err) {
      log(`warning: ${errorMessage(err)}; calls fail (ASTOTP_REASON=error) until it can be opened`);
    }
    const server = new FastAgiServer({
      settings,
      auth,
      maxSessions,
      maxPending,
      allow,
      secret,
      replyTimeoutMs: replySeconds * 1000,
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
      throw new CliFailure(`cannot listen on ${formatAddress(address.host, address.port)}: ${errorMessage(err)}`);
    }
    // Before the listening line: whoever waits for that one has seen this too.
    if (!secret)
      log(
        "WARNING: no --secret-file: every local user can connect from this machine's address and hold call slots, " +
          'shutting out real calls; see astotp serve-agi --help (--secret-file, --print-dialplan)',
      );
    log(
      `listening on ${formatAddress(bound.address, bound.port)} as uid ${process.getuid?.() ?? '?'} ` +
        `(at most ${counted(maxSessions, 'call')} at once from ${allow.shown}${secret ? ' with the secret' : ''}; database ${settings.db})`,
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

function allowList(text: string): AllowList {
  try {
    return parseAllowList(text);
  } catch (err) {
    if (err instanceof AllowListError) throw new UsageError(err.message);
    throw err;
  }
}

function pbxSecret(file: string): PbxSecret {
  try {
    return readPbxSecret(file);
  } catch (err) {
    if (err instanceof PbxSecretError) throw new CliFailure(err.message);
    throw err;
  }
}

/**
 * The dialplan that passes the secret, which it names but never prints:
 * this goes to a terminal and into notes, the secret only into its file.
 */
function printDialplan(ctx: CliContext, secretFile: string | undefined, address: ListenAddress): number {
  if (secretFile === undefined) throw new UsageError('--print-dialplan needs --secret-file FILE (the file the dialplan includes)');
  const settings = settingsOf(ctx);
  if (!existsSync(secretFile)) {
    createPbxSecret(secretFile, ownerOf(dirname(ownerAnchor(settings))));
    ctx.note(`created ${secretFile} with a new secret (mode 0600); start serve-agi with --secret-file ${secretFile}`);
  }
  pbxSecret(secretFile);
  const host = ['0.0.0.0', '::', ''].includes(address.host) ? '127.0.0.1' : address.host;
  const server = formatAddress(host, address.port === 0 ? 4573 : address.port);
  for (const line of [
    '; extensions.conf: the secret into [globals] (read when the dialplan loads: `dialplan reload` after a new one)',
    '[globals]',
    `#include "${resolve(secretFile)}"    ; sets ${SECRET_VARIABLE}`,
    '',
    '; then, in the context that runs astotp:',
    `exten => 777,1,AGI(agi://${server}/otp/${SECRET_REFERENCE})`,
    ' same => n,GotoIf($["${ASTOTP}" = "SUCCESS"]?ok)',
    ' same => n,Hangup()',
    ' same => n(ok),Playback(otp/astotp-success)',
  ])
    ctx.out(line);
  return 0;
}
