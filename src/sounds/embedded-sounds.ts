// Run from source there is nothing embedded; install-sounds reads sounds/ from
// the checkout. build.mjs replaces this module with the English GSM prompts'
// bytes (the fallback when no sounds archive is at hand), the bundle's own
// path (the archive is looked for next to it) and the text of
// sounds/en/prompts.tsv.
export const embeddedSounds: Record<string, Uint8Array> | null = null;
export const bundleFile: string | null = null;
export const embeddedPromptTexts: string | null = null;
