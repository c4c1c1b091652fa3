// astotp pbotp serve: runs the HTTP responder until SIGTERM or SIGINT.
import { createWriteStream, openSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CODE_DIGITS_MAX, PHRASE_WORDS_MAX } from '../../../pbotp/limits.js';
import { checkLoginField } from '../../../pbotp/login.js';
import { formatKey, publicKeyOf } from '../../../pbotp/keys.js';
import { createPbotpServer } from '../../../responder/server.js';
import { expectPositionals, intOption, stringOption, stringsOption } from '../../args.js';
import type { Command } from '../../command.js';
import { CliFailure, UsageError } from '../../errors.js';
import { formatAddress, parseListen } from '../../listen-address.js';
import { VERSION } from '../../version.js';
import { readPrivateKeyFile } from './key-files.js';

export const command: Command = {
  help: `Usage: astotp pbotp serve --key FILE [--listen ADDRESS:PORT] [--allow-group GROUP]...
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
`,
  options: {
    key: 'string',
    listen: 'string',
    'allow-group': 'strings',
    'access-log': 'string',
    digits: 'string',
    words: 'string',
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
    const key = readPrivateKeyFile(keyFile, ctx.note);

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
        ctx.note(`pbotp: listening on http://${formatAddress(addr.address, addr.port)}/ with public key ${publicKey}`);
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
  },
};
