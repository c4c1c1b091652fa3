// astotp install-sounds [DIR]: copies the voice prompts, every language or
// those asked for, into Asterisk's sounds tree, where a call looks them up
// by the channel's language.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installSounds, type InstallResult } from '../../sounds/install.js';
import { defaultSoundsRoot, SOUNDS_LANGUAGE, soundsRootPlaces } from '../../sounds/prompts.js';
import { ARCHIVE_NAME, loadSounds } from '../../sounds/sound-set.js';
import { expectPositionals, flagOption, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import { counted, json } from '../format.js';
import { settingsOf } from '../open.js';

export const command: Command = {
  help: `Usage: astotp install-sounds [DIR] [--lang LIST] [--from FILE] [--overwrite]

Writes astotp's prompts (wav, ulaw, gsm at 8 kHz; sln16 at 16 kHz for
wideband calls) for every language into <Asterisk sounds dir>/<lang>/<sounds
in astotp.conf>, e.g. /usr/share/asterisk/sounds/fr/otp. Asterisk plays the
prompts in the channel's language, English where a language is missing.
Without Asterisk's sounds dir (Asterisk not installed) it refuses, unless
DIR names where to write.

The prompts come from the sounds archive, ${ARCHIVE_NAME}, built next to
astotp: given with --from, or found next to this file. Without it, only the
English GSM prompts that astotp carries itself are installed.

Existing files are kept unless --overwrite is given (do that after an
upgrade; a site's own recordings are files it keeps, so leave it off then).

Options:
  DIR                  install one language (en, or --lang) into exactly DIR
  --lang LIST          only these languages, comma-separated (e.g. en,fr)
  --from FILE          the sounds archive to install from
  --overwrite          replace prompt files that exist
`,
  options: { overwrite: 'boolean', lang: 'string', from: 'string' },

  async run(ctx) {
    const [given] = expectPositionals(ctx.args, ['dir'], 1);
    const asked = stringOption(ctx.args, 'lang')
      ?.split(',')
      .map((l) => l.trim())
      .filter(Boolean);
    if (asked && asked.length === 0) throw new UsageError('--lang needs at least one language, e.g. --lang en,fr');
    if (given && asked && asked.length > 1) throw new UsageError('DIR takes one language; leave DIR out to install several');

    const root = defaultSoundsRoot(ctx.env);
    // Creating it would only hide that Asterisk, which reads the prompts from it, is not there.
    if (given === undefined && !existsSync(root)) {
      const places = soundsRootPlaces(ctx.env);
      throw new CliFailure(
        `${places.length === 1 ? `${root} (AST_DATA_DIR) does not exist` : `neither ${places.join(' nor ')} exists`}: ` +
          'is Asterisk installed? Install it first, or name the directory to write into: astotp install-sounds DIR --lang LANG (one language, into exactly DIR)',
      );
    }
    const source = loadSounds(stringOption(ctx.args, 'from'));
    const langs = asked ?? (given ? [SOUNDS_LANGUAGE] : [...source.set.keys()]);
    const absent = langs.filter((l) => !source.set.has(l));
    if (absent.length > 0) {
      throw new UsageError(
        `no prompts for ${absent.join(', ')} in ${source.origin} (it has ${[...source.set.keys()].join(', ')})${source.fallback ? `; give --from ${ARCHIVE_NAME}` : ''}`,
      );
    }
    if (source.fallback)
      ctx.warn(
        `no ${ARCHIVE_NAME} next to ${source.origin}: installing only the English GSM prompts astotp carries; --from ${ARCHIVE_NAME} installs every language and format`,
      );

    const overwrite = flagOption(ctx.args, 'overwrite');
    const installed: ({ lang: string; dir: string } & InstallResult)[] = [];
    for (const lang of langs) {
      const dir = given ?? join(root, lang, settingsOf(ctx).sounds);
      const r = installSounds(dir, source.set.get(lang) ?? new Map(), { overwrite });
      for (const w of r.warnings) ctx.warn(w);
      installed.push({ lang, dir, ...r });
    }
    if (ctx.globals.json) ctx.out(json({ from: source.origin, installed }));
    else {
      for (const r of installed) {
        ctx.out(
          `${r.lang}: installed ${counted(r.written.length, 'prompt file')} in ${r.dir}${r.skipped.length ? `; kept ${r.skipped.length} that ${r.skipped.length === 1 ? 'was' : 'were'} there (--overwrite replaces ${r.skipped.length === 1 ? 'it' : 'them'})` : ''}.`,
        );
      }
    }
    return 0;
  },
};
