// Writes the sounds archive (src/sounds/archive.ts reads it): a gzipped
// POSIX tar, every entry owned by 0:0 with mtime 0 and in name order, so the
// same sounds give the same bytes.
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

/** entries: [path inside the archive, bytes][] */
export function soundsArchive(entries) {
  const blocks = [];
  for (const [path, bytes] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (Buffer.byteLength(path) > 100) throw new Error(`sounds-archive: name too long: ${path}`);
    const h = Buffer.alloc(BLOCK);
    const put = (text, at) => h.write(text, at, 'utf8');
    put(path, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(`${bytes.length.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    put('        ', 148); // checksum counts itself as spaces
    put('0', 156);
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, Buffer.from(bytes), Buffer.alloc((BLOCK - (bytes.length % BLOCK)) % BLOCK));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}
