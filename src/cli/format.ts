// Tables and times for people; JSON for programs.
import { shownTime } from '../auth/clock.js';

/** A table cell or show line for a time that may be unset. */
export function timeCell(unix: number | null): string {
  return unix === null ? '-' : shownTime(unix);
}

export function isoTime(unix: number | null): string | null {
  return unix === null ? null : new Date(unix * 1000).toISOString();
}

/**
 * What a terminal may be shown of text that came from outside (a caller ID,
 * a channel name): control characters (escape sequences could clear or
 * rewrite the admin's screen) become `?`.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** Columns padded to their widest cell; the last column is not padded. Cells are shown printable. */
export function table(header: string[], rows: string[][]): string {
  rows = rows.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** "1 user", "2 users": a count with its noun, the plural made with s unless given. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
