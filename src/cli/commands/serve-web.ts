// astotp serve-web: the invitation pages (self-enrolment) and the users' own
// accounts. Only the options are read here; the server itself is a payload
// of dist/astotp that no call parses (src/web/, loaded by load-web.ts).
import { loadWeb } from '../../web/load-web.js';
import { expectPositionals, intOption, stringOption, stringsOption } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { parseListen } from '../listen-address.js';
import { settingsOf, webSettingsOf } from '../open.js';
import { isIP } from 'node:net';

export const command: Command = {
  help: `Usage: astotp serve-web [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE] [--trust-proxy ADDR]...
                         [--max-connections N] [--header-timeout S]

Serves the invitation pages users enrol themselves on (astotp invite makes
the links), and web_url/login, where users log in with ID, PIN and code to
change their PIN, get new recovery codes, move to a new phone and see their
account's activity: web_url and the rest of [web] in astotp.conf, the
database and the rules of [general]. Several servers may share one
PostgreSQL database: sessions live there, stored as hashes. Started as root it drops
root, as serve-agi does, before it reads anything. Logs one line per
request to standard error (never a link's token). SIGHUP reads the TLS
certificate and key again; SIGTERM stops it.

Options:
  --listen HOST:PORT     where to listen (default 127.0.0.1:8443); PORT 0 picks a free port
  --tls-cert FILE        TLS certificate chain (PEM), with --tls-key; readable by the
                         user serve-web runs as, since SIGHUP reads it again
  --tls-key FILE         its private key (PEM), mode 0600
  --trust-proxy ADDR     plain HTTP behind this reverse proxy (repeatable): only requests
                         from ADDR have X-Forwarded-For and X-Forwarded-Proto believed.
                         Without TLS or a trusted proxy it listens on loopback only
  --max-connections N    sockets open at once (default 256)
  --header-timeout S     a request's header must arrive within S seconds (default 10)
`,
  options: {
    listen: 'string',
    'tls-cert': 'string',
    'tls-key': 'string',
    'trust-proxy': 'strings',
    'max-connections': 'string',
    'header-timeout': 'string',
  },

  async run(ctx) {
    expectPositionals(ctx.args, []);
    const { host, port } = parseListen(stringOption(ctx.args, 'listen') ?? '127.0.0.1:8443');
    const cert = stringOption(ctx.args, 'tls-cert');
    const key = stringOption(ctx.args, 'tls-key');
    if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
    const trustProxy = stringsOption(ctx.args, 'trust-proxy');
    for (const a of trustProxy) if (!isIP(a)) throw new UsageError(`--trust-proxy ${a}: expected an IP address`);
    const maxConnections = intOption(ctx.args, 'max-connections', 1, 100_000) ?? 256;
    const headerSeconds = intOption(ctx.args, 'header-timeout', 1, 600) ?? 10;
    const settings = settingsOf(ctx);
    const web = webSettingsOf(ctx);
    const { serveWeb } = await loadWeb();
    return serveWeb({
      settings,
      web,
      host,
      port,
      tls: cert === undefined || key === undefined ? null : { cert, key },
      trustProxy,
      maxConnections,
      headerTimeoutMs: headerSeconds * 1000,
      log: (line) => void process.stderr.write(`astotp serve-web: ${line}\n`),
    });
  },
};
