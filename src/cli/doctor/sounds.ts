// doctor's sounds check: English must be complete (Asterisk falls back to it
// for any language it has no file in), and so must every other language a
// site installed, since a half-installed language plays English or silence
// in the middle of a call.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { soundsInstalled } from '../../sounds/install.js';
import { PROMPT_NAMES, SOUNDS_LANGUAGE } from '../../sounds/prompts.js';
import { errorText, fail, pass, type Check } from './check.js';

export function checkSounds(root: string, subdir: string): Check[] {
  try {
    const langs = [SOUNDS_LANGUAGE, ...installedLanguages(root, subdir).filter((l) => l !== SOUNDS_LANGUAGE)];
    const checks: Check[] = [];
    const complete: string[] = [];
    for (const lang of langs) {
      const dir = join(root, lang, subdir);
      const { missing } = soundsInstalled(dir);
      if (missing.length === 0) complete.push(lang);
      else {
        checks.push(
          fail(
            'sounds',
            `${missing.length} of ${PROMPT_NAMES.length} prompts missing in ${dir} (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); run astotp install-sounds${lang === SOUNDS_LANGUAGE ? '' : ` --lang ${lang}`}`,
          ),
        );
      }
    }
    if (complete.length > 0)
      checks.unshift(pass('sounds', `all ${PROMPT_NAMES.length} prompts in ${complete.join(', ')} (${join(root, '<lang>', subdir)})`));
    return checks;
  } catch (err) {
    return [fail('sounds', errorText(err))];
  }
}

/** Language dirs under root whose prompt dir holds at least one astotp prompt. */
function installedLanguages(root: string, subdir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch {
    return [];
  }
  return entries.filter((lang) => {
    try {
      return readdirSync(join(root, lang, subdir)).some((f) => f.startsWith('astotp-'));
    } catch {
      return false;
    }
  });
}
