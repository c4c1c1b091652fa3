// Damm check digit: with this totally anti-symmetric quasigroup of order 10
// every single-digit error and every transposition of adjacent digits changes
// the result (H. M. Damm, 2004). The table is the one from Damm's thesis.
const TABLE = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
] as const;

export const DAMM_TABLE: readonly (readonly number[])[] = TABLE;

function interim(digits: string): number {
  let state = 0;
  for (const ch of digits) {
    const d = ch.charCodeAt(0) - 48;
    if (d < 0 || d > 9) throw new RangeError('Damm: digits only');
    state = (TABLE[state] as readonly number[])[d] as number;
  }
  return state;
}

/** The digit to append to `digits`. */
export function dammCheckDigit(digits: string): string {
  return String(interim(digits));
}

/** True when `digits` ends in its correct check digit. */
export function dammValid(digits: string): boolean {
  return digits.length > 0 && interim(digits) === 0;
}
