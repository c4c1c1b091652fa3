// Where install-sounds takes the prompt files from: a sounds archive (given,
// or the one build.mjs writes next to the bundle), else the English GSM set
// embedded in the bundle, else (run from source) the checkout's sounds/.
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSoundsArchive } from './archive.js';
import { bundleFile, embeddedSounds } from './embedded-sounds.js';
import { SOUND_FILE, SOUNDS_LANGUAGE } from './prompts.js';

/** Prompt files by language, then by file name. */
export type SoundSet = Map<string, Map<string, Uint8Array>>;

/** The archive's name next to dist/astotp. */
export const ARCHIVE_NAME = 'astotp-sounds.tar.gz';

export interface SoundSource {
  set: SoundSet;
  /** Where the files came from, for the user. */
  origin: string;
  /** Set when only the bundle's English GSM fallback was found. */
  fallback: boolean;
}

export function loadSounds(from?: string): SoundSource {
  if (from) return { set: readSoundsArchive(from), origin: from, fallback: false };
  if (embeddedSounds && bundleFile) {
    const archive = archiveNextTo(bundleFile);
    if (archive) return { set: readSoundsArchive(archive), origin: archive, fallback: false };
    const files = new Map<string, Uint8Array>();
    for (const name of Object.keys(embeddedSounds).sort()) {
      const bytes = embeddedSounds[name];
      if (bytes && SOUND_FILE.test(name)) files.set(name, bytes);
    }
    return { set: new Map([[SOUNDS_LANGUAGE, files]]), origin: bundleFile, fallback: true };
  }
  // Only reached when run from source (ESM); the CommonJS bundle always embeds.
  return { set: checkoutSounds(fileURLToPath(new URL('../../sounds/', import.meta.url))), origin: 'sounds/', fallback: false };
}

/** The archive beside the bundle as called, or beside the file a symlink to it points at. */
function archiveNextTo(bundle: string): string | undefined {
  const candidates = [join(dirname(bundle), ARCHIVE_NAME)];
  try {
    candidates.push(join(dirname(realpathSync(bundle)), ARCHIVE_NAME));
  } catch {
    // the bundle is running, so it exists; a race at worst
  }
  return candidates.find((c) => existsSync(c));
}

function checkoutSounds(dir: string): SoundSet {
  const set: SoundSet = new Map();
  for (const lang of readdirSync(dir).sort()) {
    if (!statSync(join(dir, lang)).isDirectory()) continue;
    const files = new Map<string, Uint8Array>();
    for (const name of readdirSync(join(dir, lang)).sort()) {
      if (SOUND_FILE.test(name)) files.set(name, readFileSync(join(dir, lang, name)));
    }
    if (files.size > 0) set.set(lang, files);
  }
  return set;
}
