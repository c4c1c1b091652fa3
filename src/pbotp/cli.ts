// astotp pbotp ...: dispatch to the subcommands and turn failures into exit
// statuses (0 ok, 1 failure, 2 usage) with one-line messages.
import { challengeCommand } from './cli-challenge.js';
import { genkeyCommand } from './cli-genkey.js';
import { processIo, UsageError, type PbotpIo } from './cli-io.js';
import { respondCommand } from './cli-respond.js';
import { serveCommand } from './cli-serve.js';

export const PBOTP_HELP = `Usage: astotp pbotp COMMAND [OPTIONS]

pbotp v2: public-key challenge-response logins. An authority holds a private
key; devices hold only its public key.

Commands:
  genkey privkey|pubkey   make the authority's key, or print its public key
  respond                 answer a challenge with the private key
  serve                   answer challenges over HTTP
  challenge               make a challenge on this device and check the answer

Run astotp pbotp COMMAND --help for the options of each.
`;

const COMMANDS: Record<string, (args: string[], io: PbotpIo) => Promise<number>> = {
  genkey: genkeyCommand,
  respond: respondCommand,
  serve: serveCommand,
  challenge: challengeCommand,
};

export async function pbotpCommand(argv: string[], io: PbotpIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io[name === undefined ? 'stderr' : 'stdout'].write(PBOTP_HELP);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (command === undefined) throw new UsageError(`unknown command: ${name}`);
    return await command(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`astotp pbotp: ${err.message}\nRun astotp pbotp ${command === undefined ? '' : `${name} `}--help for usage.\n`);
      return 2;
    }
    io.stderr.write(`astotp pbotp: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
