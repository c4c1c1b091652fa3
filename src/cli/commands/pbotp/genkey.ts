// astotp pbotp genkey privkey|pubkey
import { formatKey, generatePrivateKey, parsePrivateKey, publicKeyOf } from '../../../pbotp/keys.js';
import { expectPositionals, flagOption, stringOption } from '../../args.js';
import type { CliContext, Command } from '../../command.js';
import { UsageError } from '../../errors.js';
import { writeKeyFile } from './key-files.js';

export const command: Command = {
  help: `Usage: astotp pbotp genkey privkey [--out FILE [--force]]
       astotp pbotp genkey pubkey < PRIVATE_KEY_FILE

privkey  Makes a new private key for the authority. Without --out it is
         printed; with --out FILE it is written to a new file with mode 0600
         (an existing file is kept unless --force is given) and the public key
         is reported on stderr.
pubkey   Reads a private key on stdin and prints its public key, the value
         devices and the phone factor are configured with.
`,
  options: { out: 'string', force: 'boolean', help: 'boolean' },
  shortOptions: { o: 'out' },
  globalOptions: false,

  async run(ctx) {
    const [which] = expectPositionals(ctx.args, ['privkey|pubkey'], 1);
    const out = stringOption(ctx.args, 'out');
    const force = flagOption(ctx.args, 'force');
    if (which === 'privkey') return privkey(ctx, out, force);
    if (which === 'pubkey') {
      if (out !== undefined || force) throw new UsageError('--out and --force are for genkey privkey');
      return pubkey(ctx);
    }
    throw new UsageError(which === undefined ? 'say which key: genkey privkey or genkey pubkey' : `unknown key kind: ${which}`);
  },
};

function privkey(ctx: CliContext, out: string | undefined, force: boolean): number {
  if (out === undefined && force) throw new UsageError('--force needs --out FILE');
  const key = generatePrivateKey();
  if (out === undefined) {
    ctx.out(formatKey(key));
  } else {
    writeKeyFile(out, `${formatKey(key)}\n`, force);
    ctx.note(`wrote private key to ${out} (mode 0600); public key: ${formatKey(publicKeyOf(key))}`);
  }
  key.fill(0);
  return 0;
}

async function pubkey(ctx: CliContext): Promise<number> {
  if (ctx.input.isTTY) ctx.note('paste the private key, then press Ctrl-D');
  const key = parsePrivateKey(await ctx.input.rest(4096));
  ctx.out(formatKey(publicKeyOf(key)));
  key.fill(0);
  return 0;
}
