// QR codes for terminals. Scanners want dark modules on a light background
// with a quiet zone around the symbol; each style gets there differently.
import { encode } from 'uqr';

export type QrStyle = 'utf8' | 'ansi' | 'ascii' | 'none';
export const QR_STYLES: readonly QrStyle[] = ['utf8', 'ansi', 'ascii', 'none'];

/** Rows of modules (true = dark) with a quiet zone of `border` modules. */
function modules(text: string, border: number): boolean[][] {
  return encode(text, { ecc: 'L', border }).data;
}

/** Pairs of rows, the last one padded with a light row, for half-block output. */
function rowPairs(rows: boolean[][]): [boolean[], boolean[]][] {
  const pairs: [boolean[], boolean[]][] = [];
  for (let y = 0; y < rows.length; y += 2) {
    const top = rows[y]!;
    pairs.push([top, rows[y + 1] ?? top.map(() => false)]);
  }
  return pairs;
}

// Terminals draw characters in the foreground colour, usually light on dark,
// so the light modules are the ones drawn: the result is dark-on-light there.
function utf8(rows: boolean[][]): string {
  return rowPairs(rows)
    .map(([top, bottom]) =>
      top.map((dark, x) => (dark ? (bottom[x] ? ' ' : '▄') : bottom[x] ? '▀' : '█')).join(''),
    )
    .join('\n');
}

// Explicit colours work on light and dark terminals alike.
function ansi(rows: boolean[][]): string {
  const fg = (dark: boolean) => (dark ? '30' : '97');
  const bg = (dark: boolean) => (dark ? '40' : '107');
  return rowPairs(rows)
    .map(([top, bottom]) => top.map((dark, x) => `\x1b[${fg(dark)};${bg(bottom[x] ?? false)}m▀`).join('') + '\x1b[0m')
    .join('\n');
}

function ascii(rows: boolean[][]): string {
  return rows.map((row) => row.map((dark) => (dark ? '##' : '  ')).join('').trimEnd()).join('\n');
}

/** The QR code of `text` in the given style, without a trailing newline; '' for 'none'. */
export function renderQr(text: string, style: QrStyle): string {
  switch (style) {
    case 'none':
      return '';
    case 'utf8':
      return utf8(modules(text, 4));
    case 'ansi':
      return ansi(modules(text, 4));
    case 'ascii':
      // Two characters per module: a narrower quiet zone keeps it near 80 columns.
      return ascii(modules(text, 2));
  }
}
