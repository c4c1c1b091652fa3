// Run from source (tests, tsx) there is nothing embedded: better-sqlite3 finds
// its addon in node_modules. build.mjs replaces this module with the addon's bytes.
export const embeddedAddon: { bytes: Uint8Array; abi: string; node: string } | null = null;
