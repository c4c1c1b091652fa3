// doctor's sounds check: English must be complete (Asterisk falls back to it
// for any language it has no file in), and so must every other language a
// site installed, since a half-installed language plays English or silence
// in the middle of a call. Files are looked at as the user doctor checks as
// (the one Asterisk runs as): a prompt that user cannot read is as good as
// missing to Asterisk, but install-sounds, run as root, sees it there and
// keeps it, so doctor names what to make readable instead.
import { closeSync, lstatSync, openSync, readdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { nameOf } from '../../os/identity.js';
import { soundsInstalled } from '../../sounds/install.js';
import { PROMPT_NAMES, SOUNDS_LANGUAGE } from '../../sounds/prompts.js';
import { counted } from '../format.js';
import { errorText, fail, pass, type Check } from './check.js';

export function checkSounds(root: string, subdir: string, user: string): Check[] {
  try {
    const blockedRoot = unreachable(root, user);
    if (blockedRoot) return [fail('sounds', `${blockedRoot.said}, so Asterisk reaches no sound in ${root}: chmod 755 ${blockedRoot.dir}`)];
    if (!statOrUndefined(root)?.isDirectory())
      return [
        fail(
          'sounds',
          `Asterisk's sounds directory ${root} does not exist: is Asterisk installed? (AST_DATA_DIR names its data directory if it lives elsewhere)`,
        ),
      ];
    const moved = movedVoices(root, subdir);
    const langs = [...new Set([SOUNDS_LANGUAGE, ...installedLanguages(root, subdir), ...moved.keys()])];
    const checks: Check[] = [];
    const complete: string[] = [];
    for (const lang of langs) {
      const problem = languageProblem(root, lang, subdir, user, moved.get(lang));
      if (problem === null) complete.push(lang);
      else checks.push(fail('sounds', problem));
    }
    if (complete.length > 0)
      checks.unshift(pass('sounds', `all ${PROMPT_NAMES.length} prompts in ${complete.join(', ')} (${join(root, '<lang>', subdir)})`));
    return checks;
  } catch (err) {
    return [fail('sounds', errorText(err))];
  }
}

/** What is wrong with one language's prompts, or null when every prompt is there and readable. */
function languageProblem(root: string, lang: string, subdir: string, user: string, movedFrom: string | undefined): string | null {
  const dir = join(root, lang, subdir);
  const blocked = unreachable(dir, user);
  if (blocked) return `${blocked.said}, so Asterisk plays none of the ${lang} prompts in ${dir}: chmod 755 ${blocked.dir}`;
  const install = `run astotp install-sounds${lang === SOUNDS_LANGUAGE ? '' : ` --lang ${lang}`}`;
  const { missing, files } = soundsInstalled(dir);
  if (movedFrom !== undefined && missing.length === PROMPT_NAMES.length)
    return (
      `the ${lang} prompts are in ${movedFrom}, but ${join(root, lang)} now leads to ${realpathSync(join(root, lang))} ` +
      `(another voice, as update-alternatives switches them), which has none: ${install}`
    );
  if (missing.length > 0)
    return `${missing.length} of ${PROMPT_NAMES.length} prompts missing in ${dir} (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); ${install}`;
  const unreadable = files.filter((f) => !openable(f));
  if (unreadable.length === 0) return null;
  const shown = unreadable.slice(0, 2).map((f) => `${f.slice(dir.length + 1)}: ${ownerAndMode(f)}`);
  return (
    `${counted(unreadable.length, 'prompt file')} in ${dir} ${unreadable.length === 1 ? 'is' : 'are'} not readable by ${user} ` +
    `(${shown.join(', ')}${unreadable.length > 2 ? ', ...' : ''}), so Asterisk cannot play ${unreadable.length === 1 ? 'it' : 'them'}: chmod 644 ${join(dir, 'astotp-*')}`
  );
}

/**
 * The first directory on the way to `path` that `user` may not search, said
 * as a sentence, or null. Asterisk needs only to search its way to a prompt;
 * a directory it may not search hides every file below it.
 */
function unreachable(path: string, user: string): { dir: string; said: string } | null {
  const at = (dir: string) => ({ dir, said: `${dir} is not readable by ${user} (${ownerAndMode(dir)})` });
  let dir = '/';
  for (const part of resolve(path).split('/').filter(Boolean)) {
    const next = join(dir, part);
    try {
      statSync(next);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') return null;
      return at(dir);
    }
    dir = next;
  }
  // The last directory too: its own files are reached through it.
  try {
    statSync(`${dir}/.`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return at(dir);
  }
  return null;
}

/**
 * Languages whose prompts stayed behind in a voice directory that their
 * language link no longer leads to: Debian links sounds/fr to a voice such
 * as fr_CA_f_June (update-alternatives), install-sounds writes through the
 * link, and switching the voice moves the link away from the prompts. By
 * language, the prompt directory left behind.
 */
function movedVoices(root: string, subdir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(root).sort()) {
    const lang = voiceOf(root, entry);
    if (lang === undefined || out.has(lang) || !listsPrompts(join(root, entry, subdir))) continue;
    // The language's core sounds are installed: its link leads to a directory, another one than this voice.
    const link = join(root, lang);
    if (statOrUndefined(link)?.isDirectory() && realpathSync(link) !== realpathSync(join(root, entry)))
      out.set(lang, join(root, entry, subdir));
  }
  return out;
}

/** The language a voice directory (fr_CA_f_June) is one voice of, when that language (fr) is a link. */
function voiceOf(root: string, entry: string): string | undefined {
  const lang = /^([a-z]{2,3})[_-]/.exec(entry)?.[1];
  if (lang === undefined || !lstatOrUndefined(join(root, entry))?.isDirectory()) return undefined;
  return lstatOrUndefined(join(root, lang))?.isSymbolicLink() ? lang : undefined;
}

/**
 * Language dirs under root whose prompt dir holds at least one astotp
 * prompt, or cannot be looked into; a voice is checked as its language.
 */
function installedLanguages(root: string, subdir: string): string[] {
  return readdirSync(root)
    .sort()
    .filter((lang) => voiceOf(root, lang) === undefined && listsPrompts(join(root, lang, subdir)) !== false);
}

/** Whether dir holds an astotp prompt; null when it may, but cannot be looked into. */
function listsPrompts(dir: string): boolean | null {
  try {
    return readdirSync(dir).some((f) => f.startsWith('astotp-'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EACCES' ? null : false;
  }
}

function openable(file: string): boolean {
  try {
    closeSync(openSync(file, 'r'));
    return true;
  } catch {
    return false;
  }
}

function ownerAndMode(path: string): string {
  const st = statOrUndefined(path) ?? statOrUndefined(dirname(path));
  if (!st) return 'owner and mode unknown';
  return `owner ${nameOf(st.uid) ?? `uid ${st.uid}`}, mode ${(st.mode & 0o777).toString(8).padStart(3, '0')}`;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
