// One encoder for the terminal pictures and the image files, so a code
// scans the same from either: the lowest error correction (the smallest
// symbol; a screen is not a worn label) and no border, each drawer adds its own.
import { encode } from 'uqr';

/** Rows of modules (true = dark), without a quiet zone. */
export function qrModules(text: string): boolean[][] {
  return encode(text, { ecc: 'L', border: 0 }).data;
}
