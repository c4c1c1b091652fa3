// astotp install-sounds [DIR]: copies the voice prompts out of this file into
// Asterisk's sounds directory, where the call flow's prompts are looked up.
import { join } from 'node:path';
import { installSounds } from '../../sounds/install.js';
import { defaultSoundsRoot, SOUNDS_LANGUAGE } from '../../sounds/prompts.js';
import { expectPositionals, flagOption } from '../args.js';
import type { Command } from '../command.js';
import { json } from '../format.js';
import { settingsOf } from '../open.js';

export const command: Command = {
  help: `Usage: astotp install-sounds [DIR] [--overwrite]

Writes astotp's prompts (wav, ulaw, gsm) into DIR, by default
<Asterisk sounds dir>/en/<sounds in astotp.conf>, e.g.
/usr/share/asterisk/sounds/en/otp. Existing files are kept unless
--overwrite is given (do that after an upgrade).

Options:
  --overwrite          replace prompt files that exist
`,
  options: { overwrite: 'boolean' },

  async run(ctx) {
    const [given] = expectPositionals(ctx.args, ['dir'], 1);
    const dir = given ?? join(defaultSoundsRoot(ctx.env), SOUNDS_LANGUAGE, settingsOf(ctx).sounds);
    const r = installSounds(dir, { overwrite: flagOption(ctx.args, 'overwrite') });
    for (const w of r.warnings) ctx.warn(w);
    if (ctx.globals.json) ctx.out(json({ dir, ...r }));
    else {
      ctx.out(`Installed ${r.written.length} prompt files in ${dir}${r.skipped.length ? `; kept ${r.skipped.length} that were there (--overwrite replaces them)` : ''}.`);
    }
    return 0;
  },
};
