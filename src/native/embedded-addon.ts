// Run from source (tests, tsx) there is nothing embedded: better-sqlite3 finds
// its addon in node_modules. build.mjs replaces this module: the addon's
// bytes travel at the end of dist/astotp, read only when `bytes()` is called;
// size and SHA-256 are known at build time, so a cached copy is checked
// without decoding them.
export const embeddedAddon: { bytes(): Uint8Array; size: number; digest: string; abi: string; node: string } | null = null;
