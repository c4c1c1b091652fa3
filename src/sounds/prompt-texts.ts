// The words of each prompt, for the terminal simulator: from the bundle, or
// from sounds/en/prompts.tsv when run from source.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { embeddedPromptTexts } from './embedded-sounds.js';

let texts: Map<string, string> | null = null;

export function promptText(name: string): string | undefined {
  texts ??= parse(embeddedPromptTexts ?? readCheckout());
  return texts.get(name);
}

function readCheckout(): string {
  try {
    return readFileSync(fileURLToPath(new URL('../../sounds/en/prompts.tsv', import.meta.url)), 'utf8');
  } catch {
    return '';
  }
}

function parse(tsv: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of tsv.split('\n')) {
    const [name, text] = line.split('\t');
    if (name && text && !name.startsWith('#')) map.set(name.trim(), text.trim());
  }
  return map;
}
