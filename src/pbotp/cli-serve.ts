// astotp pbotp serve: runs the HTTP responder until SIGTERM or SIGINT.
import { createWriteStream, openSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { flag, parse, str, strs } from './cli-args.js';
import { intOption, UsageError, type PbotpIo } from './cli-io.js';
import { CODE_DIGITS_MAX, PHRASE_WORDS_MAX } from './encode.js';
import { checkLoginField } from './login.js';
import { readPrivateKeyFile } from './keyfile.js';
import { formatKey, publicKeyOf } from './keys.js';
import { createPbotpServer } from '../responder/server.js';

export const SERVE_HELP = `Usage: astotp pbotp serve --key FILE [--listen ADDRESS:PORT] [--allow-group GROUP]...
                         [--access-log FILE|-] [--digits N] [--words N]

Answers pbotp challenges over HTTP. GET / shows the version, the public key and
a form for challenges read out as digits; GET /GROUP/HOST/USER/CHALLENGE shows
the code and the phrase. Put it behind a TLS proxy with authentication: anyone
who can reach it can get codes for the groups it serves.

  --key FILE            the authority's private key (should be mode 0600)
  --listen ADDR:PORT    where to listen (default 127.0.0.1:8080; [::1]:8080 for IPv6)
  --allow-group GROUP   serve only these groups (repeatable; default: all groups)
  --access-log FILE|-   append one line per request to FILE, or stdout with - (default -)
  --digits N            code length on the page, 1..19 (default 9)
  --words N             phrase length on the page, 1..23 (default 5)
`;

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new UsageError('--listen must be ADDRESS:PORT, [IPv6]:PORT or PORT');
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export async function serveCommand(args: string[], io: PbotpIo): Promise<number> {
  const parsed = parse(args, {
    key: { type: 'string', short: 'k' },
    listen: { type: 'string' },
    'allow-group': { type: 'string', multiple: true },
    'access-log': { type: 'string' },
    digits: { type: 'string' },
    words: { type: 'string' },
  });
  if (flag(parsed, 'help')) {
    io.stdout.write(SERVE_HELP);
    return 0;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument: ${parsed.positionals[0]}`);
  const keyFile = str(parsed, 'key');
  if (keyFile === undefined) throw new UsageError('--key FILE is required');
  const { host, port } = parseListen(str(parsed, 'listen') ?? '127.0.0.1:8080');
  const groups = strs(parsed, 'allow-group');
  for (const g of groups) checkLoginField('group', g);
  const codeDigits = intOption(str(parsed, 'digits'), '--digits', 1, CODE_DIGITS_MAX);
  const phraseWords = intOption(str(parsed, 'words'), '--words', 1, PHRASE_WORDS_MAX);
  const key = readPrivateKeyFile(keyFile, (m) => io.stderr.write(`${m}\n`));

  const logTarget = str(parsed, 'access-log') ?? '-';
  // Opened now so that a bad path is reported before listening, not as a crash later.
  const logFile = logTarget === '-' ? undefined : createWriteStream('', { fd: openSync(logTarget, 'a', 0o640) });
  logFile?.on('error', (err) => io.stderr.write(`pbotp: access log: ${err.message}\n`));
  const logStream = logFile ?? io.stdout;
  const server = createPbotpServer({
    privateKey: key,
    version: io.version,
    codeDigits,
    phraseWords,
    allowGroups: groups.length > 0 ? groups : undefined,
    accessLog: (line) => logStream.write(`${line}\n`),
  });
  const publicKey = formatKey(publicKeyOf(key));
  key.fill(0);

  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      io.signals.off('SIGTERM', stop);
      io.signals.off('SIGINT', stop);
      if (logFile === undefined) return resolve(code);
      logFile.end(() => resolve(code));
    };
    const stop = () => {
      io.stderr.write('pbotp: shutting down\n');
      const force = setTimeout(() => server.closeAllConnections(), 5000);
      server.close(() => {
        clearTimeout(force);
        finish(0);
      });
      server.closeIdleConnections();
    };
    server.once('error', (err) => {
      io.stderr.write(`pbotp: cannot listen on ${host}:${port}: ${err.message}\n`);
      finish(1);
    });
    server.listen(port, host, () => {
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      io.stderr.write(`pbotp: listening on http://${shown}:${addr.port}/ with public key ${publicKey}\n`);
      io.signals.on('SIGTERM', stop);
      io.signals.on('SIGINT', stop);
    });
  });
}
