// Saying things on any channel: with escape keys where the transport has
// them (AGI), else through play() and Asterisk's core digit sounds.
import type { CallChannel, Speech } from './channel.js';

/** Says `what`; returns the key (one of `keys`) that stopped it, '' if none did or none could. */
export async function speak(ch: CallChannel, what: Speech, keys: string): Promise<string> {
  if (ch.speak) return ch.speak(what, keys);
  if ('file' in what) await ch.play(what.file);
  else if ('digits' in what) for (const d of what.digits) await ch.play(`digits/${d}`);
  else await ch.play(`digits/${what.number}`);
  return '';
}

/** Says each item in turn until a key stops one; returns that key or ''. */
export async function speakAll(ch: CallChannel, items: readonly Speech[], keys: string): Promise<string> {
  for (const item of items) {
    const key = await speak(ch, item, keys);
    if (key !== '') return key;
  }
  return '';
}
