// Reading a pbotp challenge to the caller and taking the response code.
// Keys: * replays the same challenge, at once while it is read and as the
// first key afterwards (typed after digits, it cancels them when the code is
// ended with #); # skips to the code prompt; a digit pressed during the
// reading is the first digit of the code.
import { PROMPTS } from '../sounds/prompts.js';
import type { CallChannel, Speech } from './channel.js';
import { speak, speakAll } from './speech.js';

const KEYS = '*#0123456789';
/** During the code prompt # means nothing yet, so it does not cut the prompt short. */
const PROMPT_KEYS = '*0123456789';
const REPLAY = '*';
/** Readings of one challenge; more would only keep the line busy. */
export const MAX_READINGS = 5;

export interface ReadingOptions {
  /** A prompt's path from its name. */
  sound: (name: string) => string;
  /** Length of the response code. */
  digits: number;
  /** Wait for the first key after the prompt, and between keys. */
  timeoutMs: number;
}

/** "Your challenge code is:", then per group "Group", its number and its digits. */
function challengeSpeech(groups: readonly string[], sound: (name: string) => string): Speech[] {
  const items: Speech[] = [{ file: sound(PROMPTS.challengeIntro) }];
  groups.forEach((digits, i) => items.push({ file: sound(PROMPTS.group) }, { number: i + 1 }, { digits }));
  return items;
}

/** The code typed for this challenge; null when none was (or the caller only kept asking for replays). */
export async function readChallengeAndAsk(ch: CallChannel, groups: readonly string[], o: ReadingOptions): Promise<string | null> {
  const speech = challengeSpeech(groups, o.sound);
  for (let reading = 1; reading <= MAX_READINGS; reading++) {
    if (reading > 1) await ch.log(`reading the challenge again (${reading} of ${MAX_READINGS})`, 3);
    const key = await speakAll(ch, speech, KEYS);
    if (key === REPLAY) continue;
    const typed = await askCode(ch, key, o);
    if (typed !== REPLAY) return typed;
  }
  return null;
}

/** The code, REPLAY, or null; `pressed` is the key that ended the reading, if any. */
async function askCode(ch: CallChannel, pressed: string, o: ReadingOptions): Promise<string | null> {
  const prompt = o.sound(PROMPTS.challengeRepeat);
  let first = isDigit(pressed) ? pressed : '';
  if (!ch.waitForKey) {
    // Without single keys (the terminal): one entry is the whole answer.
    const rest = first.length < o.digits ? (await ch.getDigits(prompt, o.timeoutMs, o.digits - first.length)).digits : '';
    return classify(first + rest);
  }
  if (first === '') first = (await speak(ch, { file: prompt }, PROMPT_KEYS)) || (await ch.waitForKey(o.timeoutMs));
  if (first === REPLAY) return REPLAY;
  if (!isDigit(first)) return null;
  // No prompt: the caller is already typing.
  const rest = o.digits > 1 ? (await ch.getDigits('', o.timeoutMs, o.digits - 1)).digits : '';
  return classify(first + rest);
}

function isDigit(key: string): boolean {
  return /^[0-9]$/.test(key);
}

function classify(typed: string): string | null {
  if (typed.includes(REPLAY)) return REPLAY;
  return typed === '' ? null : typed;
}
