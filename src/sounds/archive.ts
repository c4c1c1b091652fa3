// The sounds archive build.mjs writes next to dist/astotp: a gzipped POSIX
// tar of <lang>/<prompt file>, so an administrator can also list or unpack
// it with tar. Only regular files with plain prompt names are taken, so
// nothing in an archive can name a path outside the language directory.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { SOUND_FILE } from './prompts.js';
import type { SoundSet } from './sound-set.js';
import { errorMessage } from '../text/error-message.js';

const BLOCK = 512;

/** The prompt files in the archive at `file`, by language. */
export function readSoundsArchive(file: string): SoundSet {
  let gzipped: Buffer;
  try {
    gzipped = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? errorMessage(err)})`);
  }
  let tar: Buffer;
  try {
    tar = gunzipSync(gzipped);
  } catch (err) {
    throw new Error(`${file} is not a sounds archive (${errorMessage(err)})`);
  }
  const set: SoundSet = new Map();
  for (let off = 0; off + BLOCK <= tar.length; ) {
    const header = tar.subarray(off, off + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    if (header.toString('latin1', 257, 262) !== 'ustar')
      throw new Error(`${file} is not a sounds archive (no ustar header at byte ${off})`);
    const field = (start: number, len: number): string => header.toString('utf8', start, start + len).replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const path = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const body = tar.subarray(off + BLOCK, off + BLOCK + size);
    if (body.length !== size) throw new Error(`${file} is truncated`);
    const [lang, name, extra] = path.split('/');
    if (type === '0' && lang && /^[a-z]{2}(?:_[A-Z]{2})?$/.test(lang) && name && SOUND_FILE.test(name) && extra === undefined) {
      if (!set.has(lang)) set.set(lang, new Map());
      set.get(lang)?.set(name, Uint8Array.from(body));
    }
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (set.size === 0) throw new Error(`${file} holds no prompt files`);
  return set;
}
