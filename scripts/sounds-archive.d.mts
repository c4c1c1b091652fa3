// Types for sounds-archive.mjs, which the tests use to make archives of their own.
export function soundsArchive(entries: Iterable<readonly [string, Uint8Array]>): Buffer;
