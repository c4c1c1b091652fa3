// QR codes as image files, for users who are not at the admin's terminal.
// Both formats are written by hand (a greyscale PNG needs only zlib and a
// CRC), so no image library joins the bundle.
import { deflateSync } from 'node:zlib';
import { QR_QUIET as QUIET, qrModules, qrSvg } from './modules.js';

export type QrImageFormat = 'png' | 'svg';

// Pixels per module: large enough that a phone reads it from a screen or a
// print-out without scaling artefacts.
const SCALE = 8;

export function qrImage(text: string, format: QrImageFormat): Buffer {
  return format === 'png' ? png(qrModules(text)) : Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${qrSvg(text, SCALE)}\n`);
}

function png(rows: boolean[][]): Buffer {
  const side = (rows.length + 2 * QUIET) * SCALE;
  // One filter byte (0: none) before each line of 8-bit grey pixels.
  const raw = Buffer.alloc(side * (side + 1), 255);
  for (let py = 0; py < side; py++) {
    raw[py * (side + 1)] = 0;
    const row = rows[Math.floor(py / SCALE) - QUIET];
    if (!row) continue;
    for (let px = 0; px < side; px++) {
      if (row[Math.floor(px / SCALE) - QUIET]) raw[py * (side + 1) + 1 + px] = 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8 bits, greyscale, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(head.subarray(4), data), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

// zlib.crc32 arrived in Node 20.15; the bundle supports every Node 20.
function crc32(...parts: Buffer[]): number {
  let c = 0xffffffff;
  for (const part of parts) for (const byte of part) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
