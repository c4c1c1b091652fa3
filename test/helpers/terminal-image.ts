// What a terminal shows, as a picture a QR decoder can read: a small model of
// a terminal (wrapping, scrolling, SGR colours) turns captured output into
// cells, and the cells into a greyscale image in a dark or a light theme.
// Debian's zbarimg then decodes it, an implementation independent of ours.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

/** A colour as set by SGR: the theme's default, or a palette index 0-15. */
type Colour = 'default' | number;

interface Cell {
  ch: string;
  fg: Colour;
  bg: Colour;
}

export interface Screen {
  /** The rows on screen, top to bottom. */
  cells: Cell[][];
  /** The same rows as plain text, trailing blanks dropped. */
  text: string[];
}

/**
 * The last `rows` rows a terminal `cols` wide shows after receiving `output`
 * (everything, when `rows` is Infinity). Knows CR, LF, BS, SGR colours and
 * xterm's deferred wrap; other escapes are skipped.
 */
export function screenOf(output: string, cols = 80, rows = 24): Screen {
  const lines: Cell[][] = [[]];
  let x = 0;
  let fg: Colour = 'default';
  let bg: Colour = 'default';
  let pendingWrap = false;
  const newLine = () => {
    lines.push([]);
    x = 0;
    pendingWrap = false;
  };
  const chars = [...output];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\x1b') {
      let j = i + 1;
      if (chars[j] === '[') {
        j++;
        let params = '';
        while (j < chars.length && !/[@-~]/.test(chars[j]!)) params += chars[j++];
        if (chars[j] === 'm') [fg, bg] = sgr(params, fg, bg);
      }
      i = j;
      continue;
    }
    if (ch === '\r') {
      x = 0;
      pendingWrap = false;
    } else if (ch === '\n') {
      const keepX = x;
      newLine();
      x = keepX; // LF alone keeps the column; the pty's ONLCR sends CR first
    } else if (ch === '\b') {
      x = Math.max(0, x - 1);
    } else if (ch >= ' ') {
      if (pendingWrap) newLine();
      const line = lines[lines.length - 1]!;
      while (line.length < x) line.push({ ch: ' ', fg: 'default', bg: 'default' });
      line[x] = { ch, fg, bg };
      if (x === cols - 1) pendingWrap = true;
      else x++;
    }
  }
  const shown = rows === Infinity ? lines : lines.slice(-rows);
  return {
    cells: shown,
    text: shown.map((l) =>
      l
        .map((c) => c.ch)
        .join('')
        .trimEnd(),
    ),
  };
}

function sgr(params: string, fg: Colour, bg: Colour): [Colour, Colour] {
  const codes = params === '' ? [0] : params.split(';').map(Number);
  for (let k = 0; k < codes.length; k++) {
    const c = codes[k]!;
    if (c === 0) [fg, bg] = ['default', 'default'];
    else if (c >= 30 && c <= 37) fg = c - 30;
    else if (c >= 90 && c <= 97) fg = c - 90 + 8;
    else if (c >= 40 && c <= 47) bg = c - 40;
    else if (c >= 100 && c <= 107) bg = c - 100 + 8;
    else if (c === 39) fg = 'default';
    else if (c === 49) bg = 'default';
    else if ((c === 38 || c === 48) && codes[k + 1] === 5) {
      const n = codes[k + 2]!;
      if (c === 38) fg = n;
      else bg = n;
      k += 2;
    }
  }
  return [fg, bg];
}

export type Theme = 'dark' | 'light';

// Grey levels: xterm's palette (black, the 7 dim colours, then bright ones) and
// a typical theme's default foreground and background.
const PALETTE = [0, 76, 76, 150, 60, 90, 120, 229, 127, 110, 180, 230, 140, 170, 220, 255];
const DEFAULTS: Record<Theme, { fg: number; bg: number }> = { dark: { fg: 210, bg: 30 }, light: { fg: 30, bg: 250 } };

const CELL_W = 6;
const CELL_H = 12;

/** Which pixels of a cell the foreground covers: blocks exactly, other glyphs roughly as a font draws them. */
function ink(ch: string, px: number, py: number): boolean {
  const top = py < CELL_H / 2;
  switch (ch) {
    case ' ':
      return false;
    case '█':
      return true;
    case '▀':
      return top;
    case '▄':
      return !top;
    case '#':
      return px === 1 || px === CELL_W - 2 || py === 4 || py === 8;
    default:
      // Letters: a box in the middle of the cell, with space around it.
      return px >= 1 && px <= CELL_W - 2 && py >= 3 && py <= CELL_H - 3 && (px === 1 || px === CELL_W - 2 || py === 3 || py === CELL_H - 3);
  }
}

/** The screen as a binary PGM (greyscale) image in the given theme. */
function screenImage(screen: Screen, theme: Theme): Buffer {
  const cols = Math.max(1, ...screen.cells.map((l) => l.length)) + 2;
  const w = cols * CELL_W;
  const h = (screen.cells.length + 2) * CELL_H;
  const grey = (c: Colour, role: 'fg' | 'bg') => (c === 'default' ? DEFAULTS[theme][role] : PALETTE[c]!);
  const px = Buffer.alloc(w * h, DEFAULTS[theme].bg);
  screen.cells.forEach((line, row) =>
    line.forEach((cell, col) => {
      const [fg, bg] = [grey(cell.fg, 'fg'), grey(cell.bg, 'bg')];
      for (let y = 0; y < CELL_H; y++) {
        for (let x = 0; x < CELL_W; x++) px[((row + 1) * CELL_H + y) * w + (col + 1) * CELL_W + x] = ink(cell.ch, x, y) ? fg : bg;
      }
    }),
  );
  return Buffer.concat([Buffer.from(`P5\n${w} ${h}\n255\n`), px]);
}

/** What zbarimg reads from an image file: the decoded texts, [] for none. SVG is drawn by librsvg first. */
export function zbarDecode(file: string): string[] {
  let image = file;
  if (file.endsWith('.svg')) {
    image = join(tempDir('astotp-svg-'), 'drawn.png');
    const drawn = spawnSync('rsvg-convert', ['-o', image, file], { encoding: 'utf8' });
    if (drawn.status !== 0) throw new Error(`rsvg-convert failed (${drawn.status}): ${drawn.stderr}`);
  }
  const r = spawnSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', image], { encoding: 'utf8' });
  // Exit 4: no symbol found; anything else but 0 is a broken run, not a verdict.
  if (r.status !== 0 && r.status !== 4) throw new Error(`zbarimg failed (${r.status}): ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** Decodes what the screen shows in the given theme. */
export function decodeScreen(screen: Screen, theme: Theme): string[] {
  const file = join(tempDir('astotp-screen-'), `${theme}.pgm`);
  writeFileSync(file, screenImage(screen, theme));
  return zbarDecode(file);
}
