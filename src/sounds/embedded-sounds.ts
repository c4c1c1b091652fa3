// Run from source there is nothing embedded; install-sounds reads sounds/ from
// the checkout. build.mjs replaces this module with the prompt files' bytes
// and the text of sounds/prompts.tsv.
export const embeddedSounds: Record<string, Uint8Array> | null = null;
export const embeddedPromptTexts: string | null = null;
