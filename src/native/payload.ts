// Bytes build.mjs appends to dist/astotp after the code, one block comment
// each, brotli-compressed and base64-encoded. A classic call never reads
// them; `node astotp` reads and parses the whole file, where a comment is
// skipped far faster than a string literal is scanned. Nothing here is read
// or decoded until a caller asks (the addon: only when its cached copy is
// missing; the sounds: for install-sounds).
import { readFileSync } from 'node:fs';

/** How build.mjs opens each payload: `\n/*astotp-payload NAME\n` + base64(brotli(bytes)) + `*\/`. */
export const PAYLOAD_OPEN = '/*astotp-payload ';

let cache: { file: string; text: string } | null = null;

/** What decompresses: node:zlib, required by the caller only when a payload is read (loading it costs a call 1-2 ms). */
export interface Brotli {
  brotliDecompressSync(data: Buffer): Buffer;
}

/** The payload `name` of the bundle at `file` (its own __filename). */
export function readPayload(file: string, name: string, zlib: Brotli): Buffer {
  if (cache?.file !== file) cache = { file, text: readFileSync(file, 'latin1') };
  const head = `\n${PAYLOAD_OPEN}${name}\n`;
  const start = cache.text.lastIndexOf(head);
  const end = start < 0 ? -1 : cache.text.indexOf('*/', start + head.length);
  if (end < 0) throw new Error(`${file} lacks its embedded ${name}: the file is damaged or incomplete`);
  return zlib.brotliDecompressSync(Buffer.from(cache.text.slice(start + head.length, end), 'base64'));
}
