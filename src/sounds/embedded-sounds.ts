// Run from source there is nothing embedded; install-sounds reads sounds/ from
// the checkout. build.mjs replaces this module with the prompt files' bytes.
export const embeddedSounds: Record<string, Uint8Array> | null = null;
