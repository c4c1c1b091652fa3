import { describe, expect, it } from 'vitest';
import { encode } from 'uqr';
import { renderQr } from '../src/qr/terminal.js';

const URL = 'https://auth.example.com/pbotp/dev/SSSN7PBXFG6DY/root/0SFyjtn--dz0K8rfCmDesHE08Ylvt5kfFoTd3WuotiM';
const expected = (border: number) => encode(URL, { ecc: 'L', border }).data;

// Reads a half-block rendering back into rows of modules (true = dark).
function fromHalfBlocks(lines: string[][], cell: (c: string) => [boolean, boolean]): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of lines) {
    const pairs = line.map(cell);
    rows.push(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    );
  }
  return rows;
}

describe('renderQr', () => {
  it('utf8 draws light modules as blocks, two rows per line, with a quiet zone of 4 at the sides and 2 above and below', () => {
    const text = renderQr(URL, 'utf8');
    const map: Record<string, [boolean, boolean]> = { '█': [false, false], '▀': [false, true], '▄': [true, false], ' ': [true, true] };
    const rows = fromHalfBlocks(
      text.split('\n').map((l) => [...l]),
      (c) => map[c]!,
    );
    const inner = expected(0);
    const side = new Array(4).fill(false);
    const blank = new Array(inner.length + 8).fill(false);
    const want = [blank, blank, ...inner.map((r) => [...side, ...r, ...side]), blank, blank];
    expect(rows.slice(0, want.length)).toEqual(want);
    // An odd row count is padded with quiet zone.
    for (const extra of rows.slice(want.length)) expect(extra.every((dark) => !dark)).toBe(true);
    // Finder pattern: the top-left 7x7 ring starts right after the quiet zone.
    expect(want[2]!.slice(4, 11).every(Boolean)).toBe(true);
  });

  it('ansi sets both colours of every cell, with a quiet zone of 4 at the sides and 2 above and below', () => {
    const text = renderQr(URL, 'ansi');
    // Colours are sent only where they change: each cell has the last ones sent.
    const lines = text.split('\n').map((l) => {
      let sgr = '';
      return [...l.replace(/\x1b\[0m$/, '').matchAll(/(?:\x1b\[(\d+;\d+)m)?▀/g)].map((m) => (sgr = m[1] ?? sgr));
    });
    const rows = fromHalfBlocks(
      lines.map((l) => l as string[]),
      (c) => [c.startsWith('30;'), c.endsWith(';40')],
    );
    const inner = expected(0);
    const side = new Array(4).fill(false);
    const blank = new Array(inner.length + 8).fill(false);
    const want = [blank, blank, ...inner.map((r) => [...side, ...r, ...side]), blank, blank];
    expect(rows.slice(0, want.length)).toEqual(want);
    for (const extra of rows.slice(want.length)) expect(extra.every((dark) => !dark)).toBe(true);
  });

  it('ascii uses ## for dark modules and a quiet zone of 2', () => {
    const rows = renderQr(URL, 'ascii')
      .split('\n')
      .map((l) =>
        l
          .padEnd(expected(2).length * 2)
          .match(/../g)!
          .map((m) => m === '##'),
      );
    expect(rows).toEqual(expected(2));
  });

  it('none renders nothing', () => {
    expect(renderQr(URL, 'none')).toBe('');
  });
});
