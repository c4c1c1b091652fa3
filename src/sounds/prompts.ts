// Names of astotp's own voice prompts and where Asterisk looks for them.
// sounds/<lang>/prompts.tsv holds the texts; test/sounds.test.ts keeps them in step.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const PROMPTS = {
  enterId: 'astotp-enter-id',
  enterPin: 'astotp-enter-pin',
  enterCode: 'astotp-enter-code',
  tryAgain: 'astotp-try-again',
  failed: 'astotp-failed',
  success: 'astotp-success',
  challengeIntro: 'astotp-challenge-intro',
  challengeRepeat: 'astotp-challenge-repeat',
  group: 'astotp-group',
  newPin: 'astotp-new-pin',
  newPinAgain: 'astotp-new-pin-again',
  pinInvalid: 'astotp-pin-invalid',
  pinMismatch: 'astotp-pin-mismatch',
  pinChanged: 'astotp-pin-changed',
  pinUnchanged: 'astotp-pin-unchanged',
} as const;

type PromptKey = keyof typeof PROMPTS;
export type PromptName = (typeof PROMPTS)[PromptKey];

export const PROMPT_NAMES: readonly PromptName[] = Object.values(PROMPTS);

/**
 * Formats shipped per prompt; Asterisk picks whichever transcodes cheapest
 * for the call: sln16 (16 kHz) for wideband (G.722) calls, the others 8 kHz.
 */
export const SOUND_FORMATS = ['wav', 'ulaw', 'gsm', 'sln16'] as const;

/** A plain prompt file name: nothing taken from a sound source can name another path. */
export const SOUND_FILE = /^astotp-[a-z0-9]+(?:-[a-z0-9]+)*\.(?:wav|ulaw|gsm|sln16)$/;

/** Sub-directory of the language dir that holds the prompts, e.g. sounds/en/otp/. */
const DEFAULT_SOUNDS_SUBDIR = 'otp';

/** Languages shipped: those Debian has Asterisk core sounds for, so the digits match the prompts. */
export const SOUND_LANGUAGES = ['en', 'es', 'fr', 'it', 'ru'] as const;

/** The language Asterisk falls back to for a channel language it has no file in. */
export const SOUNDS_LANGUAGE = 'en';

/** What the call flow passes to STREAM FILE / GET DATA: relative to the language dir, no extension. */
export function promptPath(name: PromptName, subdir: string = DEFAULT_SOUNDS_SUBDIR): string {
  return subdir === '' ? name : `${subdir}/${name}`;
}

/**
 * Asterisk's sounds root (the parent of the language dirs): $AST_DATA_DIR/sounds
 * when set, else Debian's /usr/share/asterisk/sounds when present, else the
 * source-build default /var/lib/asterisk/sounds.
 */
export function defaultSoundsRoot(
  env: Record<string, string | undefined> = process.env,
  exists: (path: string) => boolean = existsSync,
): string {
  const places = soundsRootPlaces(env);
  return places.find((p) => exists(p)) ?? places.at(-1)!;
}

/** Where Asterisk's sounds root may be, in the order defaultSoundsRoot tries them. */
export function soundsRootPlaces(env: Record<string, string | undefined> = process.env): string[] {
  const dataDir = env.AST_DATA_DIR;
  return dataDir ? [join(dataDir, 'sounds')] : ['/usr/share/asterisk/sounds', '/var/lib/asterisk/sounds'];
}

/** Directory install-sounds writes to by default, e.g. /usr/share/asterisk/sounds/en/otp. */
export function defaultSoundsDir(
  env: Record<string, string | undefined> = process.env,
  subdir: string = DEFAULT_SOUNDS_SUBDIR,
  exists: (path: string) => boolean = existsSync,
): string {
  return join(defaultSoundsRoot(env, exists), SOUNDS_LANGUAGE, subdir);
}
