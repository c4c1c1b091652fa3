// Classic AGI: Asterisk runs us once per call with the call on stdin/stdout.
import { startClassicAgi } from '../agi/classic.js';
import { HangupError } from '../call/channel.js';
import { failFirst } from '../call/dialplan-result.js';

/** After a hangup Asterisk waits for us to exit; a stuck reply must not keep it waiting. */
const EXIT_AFTER_HANGUP_MS = 800;

export async function agiMain(): Promise<void> {
  process.on('SIGHUP', () => setTimeout(() => process.exit(0), EXIT_AFTER_HANGUP_MS).unref());
  process.on('uncaughtException', (err) => {
    process.stderr.write(`astotp: internal error: ${err.message}\n`);
    process.exit(1);
  });
  let channel;
  try {
    channel = await startClassicAgi();
  } catch (err) {
    process.stderr.write(`astotp: not an AGI session: ${(err as Error).message}\n`);
    process.exit(2);
  }
  try {
    // Fail closed before anything else can go wrong: if we crash from here on,
    // the dialplan still reads FAILURE.
    await failFirst(channel);
    const { runCall } = await import('../call/run-call.js');
    const outcome = await runCall(channel, { source: 'agi' });
    if (outcome.error) process.stderr.write(`astotp: ${outcome.error}\n`);
  } catch (err) {
    // Only the first SET VARIABLE gets here (runCall reports its own troubles), or
    // Asterisk's side broke (a protocol error): nothing more can be said on the
    // channel and ASTOTP stays FAILURE. An ending, not a crash.
    if (!(err instanceof HangupError)) process.stderr.write(`astotp: ${(err as Error).message}\n`);
  } finally {
    await channel.close();
  }
  process.exit(0);
}
