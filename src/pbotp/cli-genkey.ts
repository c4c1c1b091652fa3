// astotp pbotp genkey privkey|pubkey
import { flag, parse, str } from './cli-args.js';
import { readAll, UsageError, type PbotpIo } from './cli-io.js';
import { formatKey, generatePrivateKey, parsePrivateKey, publicKeyOf } from './keys.js';
import { writeKeyFile } from './keyfile.js';

export const GENKEY_HELP = `Usage: astotp pbotp genkey privkey [--out FILE [--force]]
       astotp pbotp genkey pubkey < PRIVATE_KEY_FILE

privkey  Makes a new private key for the authority. Without --out it is
         printed; with --out FILE it is written to a new file with mode 0600
         (an existing file is kept unless --force is given) and the public key
         is reported on stderr.
pubkey   Reads a private key on stdin and prints its public key, the value
         devices and the phone factor are configured with.
`;

export async function genkeyCommand(args: string[], io: PbotpIo): Promise<number> {
  const parsed = parse(args, { out: { type: 'string', short: 'o' }, force: { type: 'boolean' } });
  if (flag(parsed, 'help')) {
    io.stdout.write(GENKEY_HELP);
    return 0;
  }
  const [which, ...extra] = parsed.positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (which === 'privkey') return privkey(str(parsed, 'out'), flag(parsed, 'force'), io);
  if (which === 'pubkey') {
    if (str(parsed, 'out') !== undefined || flag(parsed, 'force')) throw new UsageError('--out and --force are for genkey privkey');
    return pubkey(io);
  }
  throw new UsageError(which === undefined ? 'say which key: genkey privkey or genkey pubkey' : `unknown key kind: ${which}`);
}

function privkey(out: string | undefined, force: boolean, io: PbotpIo): number {
  if (out === undefined && force) throw new UsageError('--force needs --out FILE');
  const key = generatePrivateKey();
  const text = `${formatKey(key)}\n`;
  if (out === undefined) {
    io.stdout.write(text);
  } else {
    writeKeyFile(out, text, force);
    io.stderr.write(`wrote private key to ${out} (mode 0600); public key: ${formatKey(publicKeyOf(key))}\n`);
  }
  key.fill(0);
  return 0;
}

async function pubkey(io: PbotpIo): Promise<number> {
  if ((io.stdin as { isTTY?: boolean }).isTTY) io.stderr.write('paste the private key, then press Ctrl-D\n');
  const key = parsePrivateKey(await readAll(io.stdin, 4096));
  io.stdout.write(`${formatKey(publicKeyOf(key))}\n`);
  key.fill(0);
  return 0;
}
