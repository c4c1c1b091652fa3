// astotp pbotp serve: the pbotp authority's console until SIGTERM or SIGINT
// (the web payload, src/web/authority-routes.ts), or with --no-login the
// bare HTTP responder of a lab (src/responder/).
import { createWriteStream, openSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CODE_DIGITS_DEFAULT, CODE_DIGITS_MAX, PHRASE_WORDS_DEFAULT, PHRASE_WORDS_MAX } from '../../../pbotp/limits.js';
import { DEFAULT_INVITE_SECONDS, type WebSettings } from '../../../config/web-settings.js';
import { loadWeb } from '../../../web/load-web.js';
import { isIP } from 'node:net';
import { settingsOf } from '../../open.js';
import { checkLoginField } from '../../../pbotp/login.js';
import { formatKey, publicKeyOf } from '../../../pbotp/keys.js';
import { createPbotpServer } from '../../../responder/server.js';
import { expectPositionals, flagOption, intOption, stringOption, stringsOption } from '../../args.js';
import type { CliContext, Command } from '../../command.js';
import { CliFailure, UsageError } from '../../errors.js';
import { formatAddress, parseListen } from '../../listen-address.js';
import { VERSION } from '../../version.js';
import { errorMessage } from '../../../text/error-message.js';
import { readServedPrivateKeyFile } from './key-files.js';

export const command: Command = {
  help: `Usage: astotp pbotp serve --key FILE [--db DB] [--listen ADDRESS:PORT] [--allow-group GROUP]...
                         [--tls-cert FILE --tls-key FILE] [--trust-proxy ADDR]...
                         [--access-log FILE|-] [--digits N] [--words N] [--config FILE] [--db-key FILE]
       astotp pbotp serve --key FILE --no-login [--listen ADDRESS:PORT] [--allow-group GROUP]...

The pbotp authority's console. Approvers (users of the authority's own
database, made by astotp init --authority, given rights by astotp role) log
in with user ID, PIN and code, paste a challenge link or type the digits a
caller reads out, see which login it is for, and confirm: only then is the
response shown, and only for the groups and hosts their role covers. After
5 minutes without a code, confirming asks for a fresh one. A helpdesk tool
sends GET /GROUP/HOST/USER/CHALLENGE with "Authorization: Bearer TOKEN"
(astotp api-token create) and gets JSON. Every response is an audit row
(astotp log --approver USER). Refuses a database that is not an
authority's. Started as root it drops root after reading the key.

  --key FILE            the authority's private key (mode 0600, owned by the user it runs as;
                        refused if group or others may read it, or if it is a symbolic link)
  --db DB               the authority's database (default as for every command)
  --config FILE         astotp.conf of the authority (default /etc/asterisk/astotp.conf)
  --db-key FILE         the database's key file (default astotp.key next to the database)
  --listen ADDR:PORT    where to listen (default 127.0.0.1:8080; [::1]:8080 for IPv6)
  --tls-cert FILE       TLS certificate chain (PEM), with --tls-key
  --tls-key FILE        its private key (PEM)
  --trust-proxy ADDR    plain HTTP behind this reverse proxy (repeatable); without TLS or a
                        trusted proxy it listens on loopback only
  --allow-group GROUP   serve only these groups, whatever a role says (repeatable)
  --access-log FILE|-   append one line per request to FILE, or - (default: standard error,
                        with login; standard output with --no-login)
  --digits N            code length on the page, 1..19 (default 9)
  --words N             phrase length on the page, 1..23 (default 5)
  --no-login            for a lab only: answer anyone who can reach it, with no login and no
                        audit (GET /GROUP/HOST/USER/CHALLENGE shows the response); says so
                        in a loud line at start
`,
  options: {
    key: 'string',
    listen: 'string',
    'allow-group': 'strings',
    'access-log': 'string',
    digits: 'string',
    words: 'string',
    'no-login': 'boolean',
    db: 'string',
    config: 'string',
    'db-key': 'string',
    'tls-cert': 'string',
    'tls-key': 'string',
    'trust-proxy': 'strings',
    help: 'boolean',
  },
  shortOptions: { k: 'key' },
  globalOptions: false,

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const keyFile = stringOption(ctx.args, 'key');
    if (keyFile === undefined) throw new UsageError('--key FILE is required');
    const { host, port } = parseListen(stringOption(ctx.args, 'listen') ?? '127.0.0.1:8080');
    const groups = stringsOption(ctx.args, 'allow-group');
    for (const g of groups) checkLoginField('group', g);
    const codeDigits = intOption(ctx.args, 'digits', 1, CODE_DIGITS_MAX);
    const phraseWords = intOption(ctx.args, 'words', 1, PHRASE_WORDS_MAX);
    const key = readServedPrivateKeyFile(keyFile);
    if (!flagOption(ctx.args, 'no-login')) return serveConsole(ctx, key, { host, port, groups, codeDigits, phraseWords });
    for (const o of ['db', 'config', 'db-key', 'tls-cert', 'tls-key', 'trust-proxy'])
      if (ctx.args.options[o] !== undefined) throw new UsageError(`--${o} is for the console; --no-login serves without a database`);

    const logTarget = stringOption(ctx.args, 'access-log') ?? '-';
    // Opened now so that a bad path is reported before listening, not as a crash later.
    const logFile = logTarget === '-' ? undefined : createWriteStream('', { fd: openSync(logTarget, 'a', 0o640) });
    logFile?.on('error', (err) => ctx.note(`pbotp: access log: ${err.message}`));
    const accessLog = logFile === undefined ? ctx.out : (line: string) => void logFile.write(`${line}\n`);
    const server = createPbotpServer({
      privateKey: key,
      version: `astotp ${VERSION}`,
      codeDigits,
      phraseWords,
      allowGroups: groups.length > 0 ? groups : undefined,
      accessLog,
    });
    const publicKey = formatKey(publicKeyOf(key));
    key.fill(0);

    return new Promise<number>((resolve, reject) => {
      const finish = (end: () => void) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        if (logFile === undefined) return end();
        logFile.end(end);
      };
      const stop = () => {
        ctx.note('pbotp: shutting down');
        const force = setTimeout(() => server.closeAllConnections(), 5000);
        server.close(() => {
          clearTimeout(force);
          finish(() => resolve(0));
        });
        server.closeIdleConnections();
      };
      server.once('error', (err) => {
        finish(() => reject(new CliFailure(`cannot listen on ${formatAddress(host, port)}: ${err.message}`)));
      });
      server.listen(port, host, () => {
        const addr = server.address() as AddressInfo;
        ctx.note(
          `pbotp: WARNING: --no-login: no login, no audit: anyone who can reach ${formatAddress(addr.address, addr.port)} gets responses for ${groups.length > 0 ? `the groups ${groups.join(', ')}` : 'every group'}, for a lab only`,
        );
        ctx.note(`pbotp: listening on http://${formatAddress(addr.address, addr.port)}/ with public key ${publicKey}`);
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
  },
};

/** The console: approvers log in on the authority's database (src/web/authority-routes.ts). */
async function serveConsole(
  ctx: CliContext,
  key: Uint8Array,
  o: { host: string; port: number; groups: string[]; codeDigits?: number; phraseWords?: number },
): Promise<number> {
  const cert = stringOption(ctx.args, 'tls-cert');
  const tlsKey = stringOption(ctx.args, 'tls-key');
  if ((cert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const trustProxy = stringsOption(ctx.args, 'trust-proxy');
  for (const a of trustProxy) if (!isIP(a)) throw new UsageError(`--trust-proxy ${a}: expected an IP address`);
  // --key here is the authority's private key; the database's key file is --db-key.
  const settings = settingsOf({ ...ctx, globals: { ...ctx.globals, key: stringOption(ctx.args, 'db-key') } });
  const logTarget = stringOption(ctx.args, 'access-log');
  const logFile = logTarget === undefined || logTarget === '-' ? undefined : createWriteStream('', { fd: openSync(logTarget, 'a', 0o640) });
  logFile?.on('error', (err) => ctx.note(`pbotp: access log: ${err.message}`));
  const log =
    logFile !== undefined
      ? (line: string) => void logFile.write(`${new Date().toISOString()} ${line}\n`)
      : logTarget === '-'
        ? ctx.out
        : (line: string) => ctx.note(`pbotp: ${line}`);
  ctx.note(`pbotp: public key ${formatKey(publicKeyOf(key))}`);
  const { serveWeb } = await loadWeb();
  try {
    return await serveWeb({
      settings,
      web: NO_WEB_PAGES,
      host: o.host,
      port: o.port,
      tls: cert === undefined || tlsKey === undefined ? null : { cert, key: tlsKey },
      trustProxy,
      maxConnections: 256,
      headerTimeoutMs: 10_000,
      log,
      authority: {
        privateKey: key,
        codeDigits: o.codeDigits ?? CODE_DIGITS_DEFAULT,
        phraseWords: o.phraseWords ?? PHRASE_WORDS_DEFAULT,
        allowGroups: o.groups.length > 0 ? o.groups : undefined,
      },
    });
  } catch (err) {
    throw new CliFailure(errorMessage(err));
  } finally {
    await new Promise<void>((resolve) => (logFile ? logFile.end(resolve) : resolve()));
  }
}

/** The console has none of serve-web's pages, links or mails. */
const NO_WEB_PAGES: WebSettings = {
  configFile: null,
  webUrl: null,
  smtp: null,
  mailFrom: null,
  inviteSeconds: DEFAULT_INVITE_SECONDS,
  testExtension: null,
};
