// QR codes for terminals. Scanners want dark modules on a light background
// with a quiet zone around the symbol. A terminal's own colours may be light
// on dark or dark on light: only `ansi` sets both colours itself and reads
// the same on any theme; the others are for where escapes cannot go.
import { qrModules } from './modules.js';

export type QrStyle = 'ansi' | 'utf8' | 'ascii' | 'none';
export const QR_STYLES: readonly QrStyle[] = ['utf8', 'ansi', 'ascii', 'none'];

// Black and bright white: themes recolour the palette, but keep these two
// near black and white, so the contrast a scanner needs survives.
const DARK_FG = '30';
const DARK_BG = '40';
const LIGHT_FG = '97';
const LIGHT_BG = '107';
const RESET = '\x1b[0m';

/** Adds a light quiet zone: `side` modules left and right, `ends` above and below. */
function quiet(rows: boolean[][], side: number, ends: number): boolean[][] {
  const width = rows[0]!.length + 2 * side;
  const blank = () => new Array<boolean>(width).fill(false);
  const edge = new Array<boolean>(side).fill(false);
  return [...Array.from({ length: ends }, blank), ...rows.map((r) => [...edge, ...r, ...edge]), ...Array.from({ length: ends }, blank)];
}

/** Pairs of rows, the last one padded with a light row. */
function rowPairs(rows: boolean[][]): [boolean[], boolean[]][] {
  const pairs: [boolean[], boolean[]][] = [];
  for (let y = 0; y < rows.length; y += 2) {
    const top = rows[y]!;
    pairs.push([top, rows[y + 1] ?? top.map(() => false)]);
  }
  return pairs;
}

// One upper half block per cell, its colour the top module, the background
// the bottom one; colours are sent only where they change.
function ansi(rows: boolean[][]): string {
  return rowPairs(rows)
    .map(([top, bottom]) => {
      let line = '';
      let last = '';
      top.forEach((dark, x) => {
        const sgr = `\x1b[${dark ? DARK_FG : LIGHT_FG};${bottom[x] ? DARK_BG : LIGHT_BG}m`;
        if (sgr !== last) line += sgr;
        last = sgr;
        line += '▀';
      });
      return line + RESET;
    })
    .join('\n');
}

// Without colour codes, for where escapes cannot pass (OpenSSH's client shows
// ESC from PAM as text). Terminals draw characters in the foreground colour,
// so the light modules are the ones drawn: dark-on-light only where the
// theme is light on dark.
function utf8(rows: boolean[][]): string {
  return rowPairs(rows)
    .map(([top, bottom]) => top.map((dark, x) => (dark ? (bottom[x] ? ' ' : '▄') : bottom[x] ? '▀' : '█')).join(''))
    .join('\n');
}

// Without colour codes or UTF-8: two characters per module, dark ones drawn,
// so it reads only where the theme is dark on light.
function ascii(rows: boolean[][]): string {
  return rows
    .map((row) =>
      row
        .map((dark) => (dark ? '##' : '  '))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** Columns and rows a rendered QR code takes on a terminal. */
export function pictureSize(picture: string): { cols: number; rows: number } {
  if (picture === '') return { cols: 0, rows: 0 };
  const lines = picture.split('\n');
  // The SGR escapes ansi writes take no column.
  const cols = Math.max(...lines.map((l) => [...l.replace(/\x1b\[[0-9;]*m/g, '')].length));
  return { cols, rows: lines.length };
}

/** The QR code of `text` in the given style, without a trailing newline; '' for 'none'. */
export function renderQr(text: string, style: QrStyle): string {
  switch (style) {
    case 'none':
      return '';
    // Width is cheap, height is not: an 80x24 terminal must show the whole
    // code and the lines below it, so the quiet zone is the full 4 modules
    // at the sides but 2 at the top and bottom. It is drawn light, not left
    // to the theme's background (ansi's explicit colour; utf8's blocks, on
    // the light-on-dark themes it reads on), so it is one all the same (the
    // tests decode both with zbarimg).
    case 'ansi':
      return ansi(quiet(qrModules(text), 4, 2));
    case 'utf8':
      return utf8(quiet(qrModules(text), 4, 2));
    case 'ascii':
      // Two characters per module: a narrower quiet zone keeps it near 80 columns.
      return ascii(quiet(qrModules(text), 2, 2));
  }
}
