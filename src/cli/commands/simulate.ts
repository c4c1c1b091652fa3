// astotp simulate: the real call flow and database, with the terminal as the
// phone. Shows what a caller would hear and what the dialplan would get.
import { promptText } from '../../sounds/prompt-texts.js';
import { TerminalChannel } from '../../call/terminal-channel.js';
import { applyCallArguments } from '../../config/call-args.js';
import { SettingsError } from '../../config/settings.js';
import { stringOption } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { becomeDatabaseOwner, settingsOf } from '../open.js';

export const command: Command = {
  help: `Usage: astotp simulate [KEY=VALUE ...] [--callerid NUMBER]

Runs a call through the real flow and database, with this terminal as the
phone: each prompt is shown, and each line you type is what the caller
keys in one go, then pauses (a trailing # is optional; an empty line is a
timeout; end of input, Ctrl-D, is a hangup). Keys beyond what a prompt takes
go to the next one, as on a phone: *12345678 at the code prompt is a
recovery code. Prints the channel variables the dialplan would see.
KEY=VALUE are the dialplan's AGI arguments, e.g. profile=door user=1001.
Exits 0 when the call ends with ASTOTP=SUCCESS, 1 otherwise.

Example: printf '1001\\n1234\\n123456\\n' | astotp simulate

Options:
  --callerid NUMBER    caller ID of the simulated call
`,
  options: { callerid: 'string' },

  async run(ctx) {
    const args = ctx.args.positionals;
    const settings = settingsOf(ctx);
    try {
      applyCallArguments(settings, args);
    } catch (err) {
      if (err instanceof SettingsError) throw new UsageError(err.message);
      throw err;
    }
    becomeDatabaseOwner(ctx, settings);
    const channel = new TerminalChannel({
      readLine: async () => {
        if (ctx.input.isTTY) process.stdout.write('digits> ');
        return ctx.input.line();
      },
      write: ctx.out,
      callerId: stringOption(ctx.args, 'callerid'),
      args,
      promptText,
    });
    const { serveCall } = await import('../../call/serve-call.js');
    const outcome = await serveCall(channel, { source: 'simulate', settings: () => settings });
    ctx.out(
      outcome.ok
        ? `Call ended: ASTOTP=SUCCESS for user ${outcome.user}.`
        : `Call ended: ASTOTP=FAILURE (${outcome.reason})${outcome.error ? `: ${outcome.error}` : ''}.`,
    );
    return outcome.ok ? 0 : 1;
  },
};
