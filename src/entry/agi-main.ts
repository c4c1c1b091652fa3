// Classic AGI: Asterisk runs us once per call with the call on stdin/stdout.
import { startClassicAgi } from '../agi/classic.js';
import { errorMessage } from '../text/error-message.js';

/** After a hangup Asterisk waits for us to exit; a stuck reply must not keep it waiting. */
const EXIT_AFTER_HANGUP_MS = 800;

/**
 * Asterisk passes the dialplan's arguments twice, as argv and as agi_arg_N.
 * A header value with a line break (a caller ID name) could forge agi_arg_
 * lines; argv it cannot touch.
 */
function headerMatchesArgv(args: readonly string[], argv: readonly string[]): boolean {
  const given = argv[0] === 'agi' ? argv.slice(1) : argv;
  return given.length === args.length && given.every((a, i) => a === args[i]);
}

export async function agiMain(argv: readonly string[]): Promise<void> {
  process.on('SIGHUP', () => setTimeout(() => process.exit(0), EXIT_AFTER_HANGUP_MS).unref());
  process.on('uncaughtException', (err) => {
    process.stderr.write(`astotp: internal error: ${err.message}\n`);
    process.exit(1);
  });
  let channel: Awaited<ReturnType<typeof startClassicAgi>>;
  try {
    channel = await startClassicAgi();
  } catch (err) {
    process.stderr.write(`astotp: not an AGI session: ${errorMessage(err)}\n`);
    process.exit(2);
  }
  const { serveCall } = await import('../call/serve-call.js');
  const outcome = await serveCall(channel, {
    source: 'agi',
    refusal: headerMatchesArgv(channel.info.args, argv)
      ? null
      : 'refused: the AGI header names other arguments than the command line (a caller ID with a line break?)',
  });
  if (outcome.error) process.stderr.write(`astotp: ${outcome.error}\n`);
  process.exit(0);
}
